"""Legal forms of companies: the one table the duplicate scorer and the audit both read.

Each entry is the folded token a form normalises to (``fold_text`` joins dotted
initials: "S.A.R.L." -> "sarl", "A/S" -> "as", "e.V." -> "ev"), the standard way to
write it (None where countries disagree: "AS" in Norway, "A/S" in Denmark) and the
countries that use it. A form of several words ("Pty Ltd", "GmbH & Co. KG",
"Kabushiki Kaisha") is each of its words: the scorer drops trailing forms one word at
a time, with an '&'/'and'/'et'/'und' between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, NamedTuple


class LegalForm(NamedTuple):
    key: str  # folded, as fold_text gives it
    standard: str | None  # how it is written; None where the countries using it disagree
    countries: str  # ISO 3166 alpha-2 codes, space-separated


_FORMS: Final = (
    # United States, Canada, United Kingdom, Ireland, Australia, New Zealand
    LegalForm("inc", "Inc.", "US CA AU PH"),
    LegalForm("incorporated", "Incorporated", "US CA"),
    LegalForm("corp", "Corp.", "US CA"),
    LegalForm("corporation", "Corporation", "US CA JP"),
    LegalForm("co", "Co.", "US GB IE AU NZ JP"),
    LegalForm("company", "Company", "US GB IE"),
    LegalForm("llc", "LLC", "US"),
    LegalForm("pllc", "PLLC", "US"),
    LegalForm("llp", "LLP", "US GB IE CA"),
    LegalForm("lllp", "LLLP", "US"),
    LegalForm("lp", "LP", "US GB CA"),
    LegalForm("pc", "P.C.", "US"),
    LegalForm("ltd", "Ltd", "GB IE CA AU NZ JP"),
    LegalForm("limited", "Limited", "GB IE CA AU NZ"),
    LegalForm("plc", "PLC", "GB IE"),
    LegalForm("cic", "CIC", "GB"),
    LegalForm("dac", "DAC", "IE"),
    LegalForm("clg", "CLG", "IE"),
    LegalForm("teo", "Teo.", "IE"),
    LegalForm("teoranta", "Teoranta", "IE"),
    LegalForm("ulc", "ULC", "CA IE"),
    LegalForm("ltee", "Ltée", "CA"),
    LegalForm("pty", "Pty", "AU ZA"),
    # Germany, Austria, Switzerland
    LegalForm("gmbh", "GmbH", "DE AT CH"),
    LegalForm("mbh", "mbH", "DE"),
    LegalForm("gesmbh", "GesmbH", "AT"),
    LegalForm("ag", "AG", "DE AT CH"),
    LegalForm("kg", "KG", "DE AT"),
    LegalForm("kgaa", "KGaA", "DE"),
    LegalForm("ohg", "OHG", "DE"),
    LegalForm("og", "OG", "AT"),
    LegalForm("ug", "UG", "DE"),
    LegalForm("haftungsbeschrankt", None, "DE"),  # UG (haftungsbeschränkt)
    LegalForm("ev", "e.V.", "DE AT"),
    LegalForm("eg", "eG", "DE"),
    LegalForm("se", "SE", "DE AT FR NL"),
    LegalForm("sagl", "Sagl", "CH"),
    # France, Belgium, Netherlands, Luxembourg
    LegalForm("sa", "S.A.", "FR BE LU CH ES"),
    LegalForm("sarl", "SARL", "FR LU CH"),
    LegalForm("sas", "SAS", "FR"),
    LegalForm("sasu", "SASU", "FR"),
    LegalForm("eurl", "EURL", "FR"),
    LegalForm("snc", "SNC", "FR IT"),
    LegalForm("sca", "SCA", "FR BE LU"),
    LegalForm("cie", "Cie", "FR BE"),
    LegalForm("bv", "B.V.", "NL BE"),
    LegalForm("nv", "N.V.", "NL BE"),
    LegalForm("bvba", "BVBA", "BE"),
    LegalForm("sprl", "SPRL", "BE"),
    LegalForm("vof", "VOF", "NL"),
    LegalForm("srl", None, "BE IT RO"),  # SRL in Belgium, S.r.l. in Italy
    # Nordics
    LegalForm("ab", "AB", "SE FI"),
    LegalForm("publ", None, "SE"),  # AB (publ)
    LegalForm("as", None, "NO DK"),  # AS in Norway, A/S in Denmark
    LegalForm("asa", "ASA", "NO"),
    LegalForm("aps", "ApS", "DK"),
    LegalForm("oy", "Oy", "FI"),
    LegalForm("oyj", "Oyj", "FI"),
    LegalForm("hf", "hf.", "IS"),
    LegalForm("ehf", "ehf.", "IS"),
    # Spain, Italy
    LegalForm("sl", "S.L.", "ES"),
    LegalForm("slu", "S.L.U.", "ES"),
    LegalForm("sau", "S.A.U.", "ES"),
    LegalForm("spa", "S.p.A.", "IT"),
    LegalForm("srls", "S.r.l.s.", "IT"),
    LegalForm("sapa", "S.a.p.A.", "IT"),
    # Japan
    LegalForm("kk", "K.K.", "JP"),
    LegalForm("gk", "G.K.", "JP"),
    LegalForm("yk", "Y.K.", "JP"),
    LegalForm("kabushiki", None, "JP"),  # Kabushiki Kaisha
    LegalForm("kaisha", None, "JP"),
    # elsewhere, kept from earlier versions
    LegalForm("pte", "Pte", "SG"),
    LegalForm("ltda", "Ltda.", "BR PT"),
    LegalForm("bhd", "Bhd", "MY"),
    LegalForm("sdn", "Sdn", "MY"),
)

LEGAL_FORMS: Final[Mapping[str, LegalForm]] = MappingProxyType({f.key: f for f in _FORMS})
# Trailing tokens dropped from company names by the scorer.
LEGAL_SUFFIXES: Final = frozenset(LEGAL_FORMS)
# Words joining two forms ("GmbH & Co. KG", "Smith & Co", "Dupont et Cie").
FORM_CONNECTORS: Final = frozenset({"and", "et", "und"})


def standard_spelling(key: str) -> str | None:
    """How the legal form with this folded key is written (None: unknown or disputed)."""
    form = LEGAL_FORMS.get(key)
    return form.standard if form else None


def countries_covered() -> frozenset[str]:
    """Every country some form in the table belongs to."""
    return frozenset(code for form in _FORMS for code in form.countries.split())
