"""Keep the duplicate pre-filter current on every Company and Contact write."""

from __future__ import annotations

from mspcrm.domain.duplicates import PROFILES
from mspcrm.services.duplicates import reindex_dependants, reindex_record
from mspcrm.services.hooks import WriteContext, rule


def refresh_match_keys(ctx: WriteContext) -> None:
    assert ctx.record_id is not None
    reindex_record(ctx.conn, ctx.entity, ctx.record_id)
    if ctx.op == "update" and ctx.changed("countryID"):  # a company's contacts' phones
        reindex_dependants(ctx.conn, ctx.entity, ctx.record_id)


for _entity in PROFILES:
    rule(_entity, "after_write")(refresh_match_keys)
