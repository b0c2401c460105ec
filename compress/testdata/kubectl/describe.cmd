kubectl describe pod api-7d9f8b6c5d-x2lkq -n shop
