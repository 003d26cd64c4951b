using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one symbol-version need of a 64-bit little-endian ELF shared library weak (VER_FLG_WEAK in its Vernaux
/// entry of .gnu.version_r), in place and idempotently, unless the system library already provides the version.
/// Why: TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 for std::ios_base_library_init(), which it
/// never calls; Debian 12's libstdc++ stops at 3.4.30, so the loader refuses the library. A weak need loads.
/// The file is rewritten through a temporary file and a rename, so a hard link into a package cache is never touched.
/// Runs inside MSBuild (RoslynCodeTaskFactory), so building needs nothing beyond the .NET SDK.
/// </summary>
public sealed class ParleyWeakenVersionNeed : Task
{
    private const uint ShtGnuVerneed = 0x6FFFFFFE;
    private const ushort VerFlagWeak = 0x2;

    [Required]
    public string Library { get; set; } = "";

    [Required]
    public string Version { get; set; } = "";

    /// <summary>When this file already contains the version string, the library is left as it is.</summary>
    public string SystemLibrary { get; set; } = "";

    public override bool Execute()
    {
        if (SystemLibrary.Length > 0 && Provides(SystemLibrary, Version))
        {
            Log.LogMessage(MessageImportance.Low, $"{SystemLibrary} provides {Version}; {Library} left as is");
            return true;
        }

        byte[] data = File.ReadAllBytes(Library);
        List<int> flagOffsets;
        try
        {
            flagOffsets = FindVernauxFlags(data, Encoding.ASCII.GetBytes(Version));
        }
        catch (Exception e) when (e is InvalidDataException || e is ArgumentOutOfRangeException || e is IndexOutOfRangeException)
        {
            Log.LogError($"{Library}: cannot read its ELF version needs: {e.Message}");
            return false;
        }

        bool changed = false;
        foreach (int offset in flagOffsets)
        {
            ushort flags = BitConverter.ToUInt16(data, offset);
            if ((flags & VerFlagWeak) == 0)
            {
                BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(data, offset);
                changed = true;
            }
        }

        if (changed)
        {
            string temporary = Library + ".weaken.tmp";
            File.WriteAllBytes(temporary, data);
            // Replace (not write through) the file: where the output copy is a hard link, the cache keeps its bytes.
            File.Delete(Library);
            File.Move(temporary, Library);
            Log.LogMessage(MessageImportance.Normal, $"{Library}: {Version} need marked weak");
        }

        return true;
    }

    private static bool Provides(string path, string version)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        byte[] haystack = File.ReadAllBytes(path);
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack[i] == needle[0] && Matches(haystack, i, needle))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(byte[] data, int offset, byte[] expected)
    {
        if (offset + expected.Length > data.Length)
        {
            return false;
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (data[offset + i] != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    private static List<int> FindVernauxFlags(byte[] data, byte[] version)
    {
        if (data.Length < 64 || data[0] != 0x7F || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F' || data[4] != 2 || data[5] != 1)
        {
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        }

        long sectionTable = BitConverter.ToInt64(data, 0x28);
        int sectionSize = BitConverter.ToUInt16(data, 0x3A);
        int sectionCount = BitConverter.ToUInt16(data, 0x3C);
        long SectionField64(int index, int field) => BitConverter.ToInt64(data, checked((int)(sectionTable + index * sectionSize + field)));
        uint SectionField32(int index, int field) => BitConverter.ToUInt32(data, checked((int)(sectionTable + index * sectionSize + field)));

        var result = new List<int>();
        for (int s = 0; s < sectionCount; s++)
        {
            if (SectionField32(s, 4) != ShtGnuVerneed)
            {
                continue;
            }

            long strings = SectionField64((int)SectionField32(s, 40), 24);
            int need = checked((int)SectionField64(s, 24));
            uint needCount = SectionField32(s, 44);
            for (uint n = 0; n < needCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(data, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(data, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int name = checked((int)(strings + BitConverter.ToUInt32(data, aux + 8)));
                    if (Matches(data, name, version) && data[name + version.Length] == 0)
                    {
                        result.Add(aux + 4);
                    }

                    uint nextAux = BitConverter.ToUInt32(data, aux + 12);
                    if (nextAux == 0) break;
                    aux += (int)nextAux;
                }

                uint nextNeed = BitConverter.ToUInt32(data, need + 12);
                if (nextNeed == 0) break;
                need += (int)nextNeed;
            }
        }

        return result;
    }
}
