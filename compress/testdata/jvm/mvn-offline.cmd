mvn -B package
