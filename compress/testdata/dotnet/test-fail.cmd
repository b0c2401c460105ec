dotnet test
