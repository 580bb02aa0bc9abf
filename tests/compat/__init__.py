"""Published third-party Autotask clients, run unchanged against a live mspcrm server."""
