"""`make bench`: ingest throughput, ack latency, memory and store scale, measured on loopback.

baseline.py  the null-sink aiosmtpd server (the yardstick), run as its own process
procs.py     start/stop the servers under test; quotemaild only through its CLI
drivers.py   smtp-source (throughput) and the aiosmtplib generator (threads, ack latency)
rss.py       resident memory from /proc, sampled; flatness of a sustained run
scale.py     bulk loader through the store models; query latency and EXPLAIN QUERY PLAN
components.py the group-commit writer and the processor timed alone, without SMTP
smarthost.py ack -> acknowledgement at a capturing fake smarthost
settings.py  what a run was asked for; the stage guard and the load a stage sends
throughput.py smtp-source with the servers in turn, ratios, ack latency, memory, the big message
paced.py     arrival -> request under a fixed offered rate; live_inbox.py 250 -> event stream
runner.py    the stages of one run; report.py the table and the JSON
"""
