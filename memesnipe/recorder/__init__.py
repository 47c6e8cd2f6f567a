"""Recording of the market topics to Parquet (``memesnipe record``) and putting a recording back
on the topics (``memesnipe publish-file``)."""
