kubectl get pods -A
