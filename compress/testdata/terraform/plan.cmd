terraform plan -no-color
