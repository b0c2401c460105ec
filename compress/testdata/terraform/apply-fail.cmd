terraform apply -auto-approve -no-color
