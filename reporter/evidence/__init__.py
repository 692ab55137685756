"""Evidence tables: snapshot artifacts parsed into typed pandas tables, with what went wrong."""
