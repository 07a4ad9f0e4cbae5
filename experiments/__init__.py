"""One module per experiment of the book, named chapN_topic; see repro/run.py for what each exports."""
