"""Deploying initviz: nginx in front of N replicas (nginx.conf, replicas.py); see the README, "Deploy"."""
