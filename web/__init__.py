"""The server (`screening serve`): the HTTP API of `http.md` over the same services as the command line."""
