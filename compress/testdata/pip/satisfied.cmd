pip install flask requests
