"""Free-mail providers and shared web hosts: domains of unrelated people, never identity."""

from __future__ import annotations

import re
from typing import Final

FREE_MAIL_DOMAINS: Final = frozenset(
    {
        # Google, Microsoft, Yahoo, AOL, Apple
        "gmail.com", "googlemail.com",
        "outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com", "windowslive.com",
        "yahoo.com", "ymail.com", "rocketmail.com", "aol.com", "aim.com",
        "icloud.com", "me.com", "mac.com",
        # privacy and independent providers
        "proton.me", "protonmail.com", "protonmail.ch", "pm.me", "tutanota.com", "tutanota.de",
        "tuta.io", "tuta.com", "fastmail.com", "fastmail.fm", "hushmail.com", "hey.com",
        "mail.com", "email.com", "usa.com", "inbox.com", "zoho.com", "zohomail.com",
        "gmx.com", "gmx.net", "gmx.de", "gmx.at", "gmx.ch", "web.de", "t-online.de",
        "freenet.de", "posteo.de", "mailbox.org",
        # Europe
        "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "libero.it",
        "virgilio.it", "tiscali.it", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "onet.pl",
        "btinternet.com", "sky.com", "virginmedia.com", "ntlworld.com", "talktalk.net",
        "blueyonder.co.uk", "ziggo.nl", "kpnmail.nl", "telenet.be", "skynet.be", "bluewin.ch",
        # Russia, Asia
        "yandex.ru", "yandex.com", "ya.ru", "mail.ru", "bk.ru", "inbox.ru", "list.ru",
        "rambler.ru", "qq.com", "163.com", "126.com", "yeah.net", "sina.com", "sohu.com",
        "naver.com", "hanmail.net", "daum.net", "rediffmail.com",
        # North American and Australian ISPs
        "comcast.net", "att.net", "sbcglobal.net", "bellsouth.net", "verizon.net", "cox.net",
        "charter.net", "earthlink.net", "optonline.net", "juno.com", "netzero.net",
        "shaw.ca", "rogers.com", "sympatico.ca", "telus.net", "bigpond.com", "optusnet.com.au",
    }
)  # fmt: skip

# Providers with regional variants (yahoo.co.uk, hotmail.fr, outlook.de, live.com.au, ...).
FREE_MAIL_FAMILIES: Final = frozenset(
    {"yahoo", "ymail", "hotmail", "outlook", "live", "windowslive", "aol", "gmx", "yandex"}
)
_REGIONAL_SUFFIX = re.compile(r"(?:(?:co|com|net)\.)?[a-z]{2,3}")


def is_free_mail(domain: str | None) -> bool:
    """True when the domain (or an e-mail address's domain) belongs to a free-mail provider."""
    if not domain:
        return False
    host = domain.strip().lower().rsplit("@", 1)[-1].rstrip(".")
    if host in FREE_MAIL_DOMAINS:
        return True
    family, _, suffix = host.partition(".")
    return family in FREE_MAIL_FAMILIES and _REGIONAL_SUFFIX.fullmatch(suffix) is not None


# Web hosts where unrelated businesses have a page or a subdomain: the host says nothing.
SHARED_WEB_HOSTS: Final = frozenset(
    {
        "facebook.com", "fb.com", "instagram.com", "linkedin.com", "twitter.com", "x.com",
        "youtube.com", "tiktok.com", "yelp.com", "google.com", "business.site", "g.page",
        "linktr.ee", "etsy.com", "ebay.com", "amazon.com", "wixsite.com", "wix.com",
        "squarespace.com", "wordpress.com", "blogspot.com", "weebly.com", "godaddysites.com",
        "myshopify.com", "github.io", "sites.google.com", "webnode.com", "jimdo.com",
        "jimdofree.com", "strikingly.com", "carrd.co", "bit.ly",
    }
)  # fmt: skip


def is_shared_host(domain: str | None) -> bool:
    """True for a social or site-builder host (or its subdomain) shared by unrelated businesses."""
    if not domain:
        return False
    labels = domain.strip().lower().rstrip(".").split(".")
    # host == shared or host.endswith("." + shared): some run of its last labels is listed
    return any(".".join(labels[i:]) in SHARED_WEB_HOSTS for i in range(len(labels) - 1))
