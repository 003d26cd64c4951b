using Parley.Data;
using Parley.Templates;
using Parley.Tokenization;
using Parley.Training;

namespace Parley.Runtime.Tests.Errors;

/// <summary>The one place deciding "user error: one line, exit 1" versus "bug: trace, exit 2".</summary>
public class UserErrorsTests
{
    [Test]
    public void EveryLibraryUserErrorIsAParleyException()
    {
        Exception[] errors =
        [
            new DatasetException("d.jsonl", 3, 2, "messages[0].role", "bad."),
            new DatasetFileException("d.txt", "not a dataset."),
            new TokenizerFormatException("tokenizer.json", "model", "missing."),
            new TokenizerRuleException("r", "broken."),
            new TemplateException("cannot format."),
            new Parley.Labels.MarkerBindingException("m", [1], [2], "ctx", straddles: false),
            new ConfigException("train.json", "steps", "must be at least 1."),
            new CheckpointException("ckpt/step-000002", "optimizer.bin", "is damaged."),
            new TrainingDivergedException(3, "loss", double.NaN),
            new Parley.Training.Models.ModelFormatException("m", "no model_type."),
        ];
        foreach (Exception e in errors)
        {
            Assert.That(e, Is.InstanceOf<ParleyException>(), e.GetType().Name);
            Assert.That(UserErrors.IsUserError(e), Is.True, e.GetType().Name);
        }
    }

    [Test]
    public void BugsAreNotUserErrors_WrappersAreSeenThrough()
    {
        Assert.That(UserErrors.IsUserError(new NullReferenceException()), Is.False);
        Assert.That(UserErrors.IsUserError(new InvalidOperationException("x")), Is.False);
        Assert.That(UserErrors.IsUserError(new ArgumentException("x")), Is.False, "a bad argument from our own code is a bug");
        var inner = new ConfigException(null, "--max-body-bytes", "not a number.");
        Assert.That(UserErrors.UserCause(new AggregateException(inner)), Is.SameAs(inner));
        Assert.That(UserErrors.UserCause(new System.Reflection.TargetInvocationException(inner)), Is.SameAs(inner));
        Assert.That(UserErrors.IsUserError(new FileNotFoundException("no such file", "x.json")), Is.True);
    }

    [Test]
    public void Describe_IsOneLine_WithTheFieldAndTheCallersHint()
    {
        var e = new DatasetException("d.jsonl", 3, 2, "messages[0].role", "The role 'robot' is unknown.");
        Assert.That(e.File, Is.EqualTo("d.jsonl"));
        Assert.That(e.Line, Is.EqualTo(3));
        Assert.That(e.Field, Is.EqualTo("messages[0].role"));
        Assert.That(UserErrors.Describe(e), Is.EqualTo("d.jsonl:3 (row 2), field 'messages[0].role': The role 'robot' is unknown. " + DatasetException.SkipHint));
        Assert.That(UserErrors.Describe(e, p => p is DatasetException ? "Pass --bad-rows skip." : null),
            Is.EqualTo("d.jsonl:3 (row 2), field 'messages[0].role': The role 'robot' is unknown. Pass --bad-rows skip."));
        Assert.That(UserErrors.Describe(new TemplateException("a.jinja:1:8: first\na.jinja:2:8: second")), Is.EqualTo("a.jinja:1:8: first; a.jinja:2:8: second"));
        Assert.That(UserErrors.FieldOf(new TemplateException("m", "Phi3", 2, "robot")), Is.EqualTo("messages[2].role"));
    }

    [Test]
    public void WithSpecialTokens_KeepsTheMarkerIds()
    {
        TemplateInfo info = Phi3.Info.WithSpecialTokens("<s>", "</s>");
        Assert.That(info.InstructionMarkerIds, Is.EqualTo(new[] { 32010 }));
        Assert.That(info.ResponseMarkerIds, Is.EqualTo(new[] { 32001 }));
        Assert.That(info.Eos, Is.EqualTo("</s>"));
    }

    [Test]
    public void TemplateTokenFit_ListsWhatATokenizerWouldSplit()
    {
        var gpt2 = ParleyTokenizer.FromTiktoken("gpt2");
        Assert.That(Parley.Labels.TemplateTokenFit.TokensOf(Phi3.Info), Is.SupersetOf(new[] { "<|user|>", "<|assistant|>", "<|end|>", "<|endoftext|>" }));
        var missing = Parley.Labels.TemplateTokenFit.Missing(ChatML.Info, gpt2);
        Assert.That(missing.Select(m => m.Token), Is.EqualTo(new[] { "<|im_start|>", "<|im_end|>" }));
        Assert.That(missing.Select(m => m.Pieces), Is.EqualTo(new[] { 7, 7 }));
        gpt2.AddSpecialTokens("<|im_start|>", "<|im_end|>");
        Assert.DoesNotThrow(() => Parley.Labels.TemplateTokenFit.Require(ChatML.Info, gpt2));
    }
}
