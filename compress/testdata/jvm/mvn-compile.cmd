mvn -B verify
