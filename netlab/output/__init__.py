"""The one output layer: records to text as a table (tabulate's plain look), json, jsonl or csv.

Every command prints through here, so all of them print the same way. Records
are dicts or objects with ``as_dict()``; a ``Column`` says which key to show
under which header in a table, and how to format the value. JSON and CSV always
carry every key of the record.
"""

from netlab.output.formats import FORMATS, render, to_csv, to_csv_rows, to_json, to_jsonl_line
from netlab.output.tables import Column, plain_table, plain_table_py, table
from netlab.records import as_dict

__all__ = ["FORMATS", "Column", "as_dict", "plain_table", "plain_table_py", "render", "table", "to_csv", "to_csv_rows",
           "to_json", "to_jsonl_line"]
