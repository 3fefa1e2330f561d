# Production packaging (docs/deployment.md). Included by the Makefile:
#   make package STAGE=prod         -> dist/sam.yaml, dist/deployment.zip, dist/package-report.json
#   make package-lint STAGE=prod    -> the same, then cfn-lint (pinned in requirements-dev.txt)
# devtools/package.py finds python3.12+ itself (or PACKAGE_PYTHON_BUILD=/path/to/python3.12)
# and keeps chalice and requirements.txt in .build/venv-py3XY, where the tables are generated
# from the models; any python3 (3.11+) can start it, with nothing installed and no venv active.
STAGE ?= prod
DIST ?= dist
PACKAGE_PYTHON ?= python3
PACKAGE_PYTHON_BUILD ?=

.PHONY: package package-lint

package:
	$(PACKAGE_PYTHON) devtools/package.py --stage $(STAGE) --out $(DIST) \
		$(if $(PACKAGE_PYTHON_BUILD),--python $(PACKAGE_PYTHON_BUILD),)

package-lint: package $(VENV)/bin/.installed
	$(VENV)/bin/cfn-lint $(DIST)/sam.yaml
