using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Parley.Runtime.Tests")]
