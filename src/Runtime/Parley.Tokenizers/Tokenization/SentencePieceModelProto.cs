using System.Buffers.Binary;
using System.Text;

namespace Parley.Tokenization;

/// <summary>SentencePiece piece types (<c>sentencepiece_model.proto</c>).</summary>
internal enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry of a SentencePiece model.</summary>
internal readonly record struct SentencePiece(string Piece, float Score, PieceType Type);

/// <summary>
/// The fields of SentencePiece's <c>ModelProto</c> that encoding needs, read with a minimal protobuf reader
/// (no generated code, no dependency).
/// </summary>
internal sealed class SentencePieceModelProto
{
    public List<SentencePiece> Pieces { get; } = new();
    public int ModelType { get; private set; } = 1;        // 1 unigram, 2 BPE, 3 word, 4 char
    public bool ByteFallback { get; private set; }
    public int UnkId { get; private set; }
    public int BosId { get; private set; } = 1;
    public int EosId { get; private set; } = 2;
    public int PadId { get; private set; } = -1;
    public bool TreatWhitespaceAsSuffix { get; private set; }
    public string NormalizerName { get; private set; } = "nmt_nfkc";
    public int PrecompiledCharsMapLength { get; private set; }
    public byte[] PrecompiledCharsMap { get; private set; } = [];
    public bool AddDummyPrefix { get; private set; } = true;
    public bool RemoveExtraWhitespaces { get; private set; } = true;
    public bool EscapeWhitespaces { get; private set; } = true;

    public static SentencePieceModelProto Parse(ReadOnlySpan<byte> data, string file)
    {
        var proto = new SentencePieceModelProto();
        var reader = new ProtoReader(data, file, "ModelProto");
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1: proto.Pieces.Add(ReadPiece(reader.Bytes(), file, proto.Pieces.Count)); break;
                case 2: proto.ReadTrainerSpec(reader.Bytes(), file); break;
                case 3: proto.ReadNormalizerSpec(reader.Bytes(), file); break;
                default: reader.Skip(wire); break;
            }
        }
        if (proto.Pieces.Count == 0)
            throw new TokenizerFormatException(file, "ModelProto.pieces", "the model has no pieces; is this a SentencePiece .model file?");
        return proto;
    }

    private static SentencePiece ReadPiece(ReadOnlySpan<byte> data, string file, int index)
    {
        string piece = "";
        float score = 0;
        var type = PieceType.Normal;
        var reader = new ProtoReader(data, file, $"ModelProto.pieces[{index}]");
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1: piece = Encoding.UTF8.GetString(reader.Bytes()); break;
                case 2: score = reader.Fixed32Float(); break;
                case 3: type = (PieceType)reader.Varint(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new SentencePiece(piece, score, type);
    }

    private void ReadTrainerSpec(ReadOnlySpan<byte> data, string file)
    {
        var reader = new ProtoReader(data, file, "ModelProto.trainer_spec");
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 3: ModelType = (int)reader.Varint(); break;
                case 24: TreatWhitespaceAsSuffix = reader.Varint() != 0; break;
                case 35: ByteFallback = reader.Varint() != 0; break;
                case 40: UnkId = (int)reader.Varint(); break;
                case 41: BosId = (int)reader.Varint(); break;
                case 42: EosId = (int)reader.Varint(); break;
                case 43: PadId = (int)reader.Varint(); break;
                default: reader.Skip(wire); break;
            }
        }
    }

    private void ReadNormalizerSpec(ReadOnlySpan<byte> data, string file)
    {
        var reader = new ProtoReader(data, file, "ModelProto.normalizer_spec");
        while (reader.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1: NormalizerName = Encoding.UTF8.GetString(reader.Bytes()); break;
                case 2:
                    PrecompiledCharsMap = reader.Bytes().ToArray();
                    PrecompiledCharsMapLength = PrecompiledCharsMap.Length;
                    break;
                case 3: AddDummyPrefix = reader.Varint() != 0; break;
                case 4: RemoveExtraWhitespaces = reader.Varint() != 0; break;
                case 5: EscapeWhitespaces = reader.Varint() != 0; break;
                default: reader.Skip(wire); break;
            }
        }
    }

    /// <summary>Protobuf wire-format reader over a span.</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data, string file, string message)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (_pos >= _data.Length) return false;
            ulong key = Varint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _data.Length) throw Truncated();
                byte b = _data[_pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return result;
            }
            throw new TokenizerFormatException(file, message, "malformed varint; the file is corrupt or not a SentencePiece model.");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            int length = checked((int)Varint());
            if (length < 0 || _pos + length > _data.Length) throw Truncated();
            ReadOnlySpan<byte> slice = _data.Slice(_pos, length);
            _pos += length;
            return slice;
        }

        public float Fixed32Float()
        {
            if (_pos + 4 > _data.Length) throw Truncated();
            float value = BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_pos, 4));
            _pos += 4;
            return value;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _pos += 8; break;
                case 2: Bytes(); break;
                case 5: _pos += 4; break;
                default: throw new TokenizerFormatException(file, message, $"unknown protobuf wire type {wire}; the file is corrupt or not a SentencePiece model.");
            }
            if (_pos > _data.Length) throw Truncated();
        }

        private readonly TokenizerFormatException Truncated() =>
            new(file, message, "the data ends early; the file is truncated or not a SentencePiece model.");
    }
}
