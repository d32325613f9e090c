# report.mk — included by the top Makefile: the HTML page's assets and the libraries the reports need.
#
# make report-assets   regenerate src/report/html_assets.h after editing src/report/assets/*
#
# MEMLENS_LIBS is empty: pprof's gzip is written in report/pprof.c, so no program linked from the
# memlens objects needs an extra library.

MEMLENS_LIBS +=

.PHONY: report-assets
report-assets: src/report/html_assets.h

src/report/html_assets.h: src/report/assets/gen.py src/report/assets/page.html src/report/assets/page.css src/report/assets/page.js
	/usr/bin/python3 src/report/assets/gen.py
