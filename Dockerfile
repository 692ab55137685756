# syntax=docker/dockerfile:1
# `make image`. Two stages: the first installs the tool into a venv with the lock (constraints.txt),
# the second holds only Python, WeasyPrint's system libraries and that venv.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY reporter reporter
COPY frameworks frameworks
COPY templates templates
# [trail]: the log-scan speed-ups; [sign]: PAdES-signed PDFs. Both are wheels, nothing compiles.
# The runtime needs no installer: the base image's pip fills a venv made without one (24 MiB less).
# pandas and numpy ship their own test suites (61 MiB) that nothing here runs.
RUN python -m venv --without-pip /opt/reporter \
 && python -m pip --python /opt/reporter/bin/python install --no-cache-dir -c constraints.txt '.[trail,sign]' \
 && find /opt/reporter/lib/python3*/site-packages/pandas /opt/reporter/lib/python3*/site-packages/numpy \
      -depth -type d -name tests -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
# Pango and HarfBuzz are what WeasyPrint loads at run time (the Makefile's SYSLIBS; a test keeps
# the two lists equal). Pinned to bookworm's versions so a rebuild lays out the same PDF; the
# pack's own fonts ship inside the package, DejaVu only backs characters outside them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0=1.50.12+ds-1 \
      libpangoft2-1.0-0=1.50.12+ds-1 \
      libharfbuzz0b=6.0.0+dfsg-3 \
      fonts-dejavu-core=2.37-6 \
 && rm -rf /var/lib/apt/lists/*
# COPY --from is cached on the venv's content. A `RUN --mount=from=build` install was not:
# buildah keys that step on its command text and kept the install of an older tree.
COPY --from=build /opt/reporter /opt/reporter
ENV PATH=/opt/reporter/bin:$PATH
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin reporter
# Mount the history, reporter.toml and the output here (the ECS recipe mounts EFS on it).
WORKDIR /var/lib/reporter
RUN chown reporter:reporter /var/lib/reporter
USER 10001:10001
# The history's default path is $XDG_DATA_HOME/reporter/history.db: on the volume, not in the
# container's home, which a `--rm` run or a new ECS task starts empty.
ENV PYTHONDONTWRITEBYTECODE=1 NO_COLOR=1 XDG_DATA_HOME=/var/lib/reporter
ENTRYPOINT ["reporter"]
CMD ["--help"]
