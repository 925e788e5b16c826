"""The thin typer layer: parse options, call an engine, render the result."""
