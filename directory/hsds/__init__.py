"""Open Referral HSDS 3.0: the published directory as records (`records`), written as files by
`flask --app directory export hsds DIR` (`export`) and read through `/hsds/` (`views`). The
official schemas and the tabular data package descriptor are vendored in `data/hsds/`."""
