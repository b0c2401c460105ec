python3 worker.py
