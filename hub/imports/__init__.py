"""imports domain: spreadsheets of hospitals, labs, needs and batches into the hub."""
