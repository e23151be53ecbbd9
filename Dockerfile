# initviz as a container (issue 18; README "Deploy"): one replica with the hosted limits.
# Not built in this project's CI: no container registry is reachable from it, so the base image cannot
# be pulled there. Build and run:  docker build -t initviz . && docker run -p 8501:8501 initviz
FROM python:3.11-slim

# A public instance: the hosted limits (README "Limits of a hosted instance"); one BLAS thread per
# computation, as the app asks (it serves many sessions at once). Several containers on one machine:
# give each INITVIZ_WORKERS = max(1, cores // containers) (docker run -e INITVIZ_WORKERS=1 ...).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INITVIZ_LIMITS=hosted \
    OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1

RUN useradd --create-home --uid 10001 initviz
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=initviz:initviz .streamlit/config.toml .streamlit/config.toml
COPY --chown=initviz:initviz app.py .
COPY --chown=initviz:initviz initviz initviz

USER initviz
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", \
     "--server.fileWatcherType=none", "--browser.gatherUsageStats=false"]
