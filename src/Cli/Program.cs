// The parley tool: commands arrive with the Jinja and pipeline issues (render, check, inspect, pack, train).
Console.Error.WriteLine("parley: no commands yet. See README.md.");
return 2;
