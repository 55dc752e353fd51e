"""The offline demo and the test servers: an invented news site, a webhook receiver and a
small HTTP server on 127.0.0.1. Shipped with ingest (``ingest demo`` uses them) but not
part of the runtime package: the daemon never imports them."""
