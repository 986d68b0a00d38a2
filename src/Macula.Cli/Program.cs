Console.Error.WriteLine("macula: not written yet");
return 2;
