"""Every read and write goes through here: rules, transactions, the one path for each operation."""
