Console.WriteLine("Yoda sample");
