"""Everything SQL: schema from declarations, filter compilation, repository, migrations."""
