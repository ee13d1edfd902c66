"""Readers of file formats that need no database: batch files (`batch`) and the TREC LiveQA
medical XML (`liveqa`). The bottom layer, beside `config`: nothing here imports healthqa."""
