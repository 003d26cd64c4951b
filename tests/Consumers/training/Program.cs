using Parley;
using Parley.Training;
using Parley.Training.Lora;
using Parley.Training.Models;
using Parley.Training.Quantization;
using static TorchSharp.torch;

// Three QLoRA steps on a tiny Llama initialised from a fixed seed: NF4 base, LoRA adapters, AdamW.
TrainingDevice.Resolve("cpu");
manual_seed(0);
using var model = new LlamaForCausalLM(new LlamaConfig
{
    VocabSize = 32, HiddenSize = 16, IntermediateSize = 32, NumLayers = 2, NumHeads = 2, NumKeyValueHeads = 1, TieWordEmbeddings = true,
});
ModelQuantizer.Quantize(model, new Nf4Options { BlockSize = 32 });
KbitTraining.Prepare(model);
LoraInjector.Apply(model, new LoraConfig { R = 4, Dropout = 0 });

long[] ids = Enumerable.Range(0, 16).Select(i => (long)(i % 32)).ToArray();
long[] labels = ids.Select(i => (i + 1) % 32).ToArray();
var batch = new TrainingBatch(ids, labels, 1, ids.Length);
using var trainer = new LoraTrainer(model, new TrainerOptions { MaxSteps = 3, LearningRate = 1e-2 });
var losses = new List<double>();
trainer.Train([batch], progress => losses.Add(progress.Loss));

if (losses.Count != 3 || losses.Any(loss => !double.IsFinite(loss)))
{
    Console.Error.WriteLine($"expected three finite losses, got [{string.Join(", ", losses)}]");
    return 1;
}

// Parley.Training alone brings the generator (through Parley) too.
Console.WriteLine($"3 QLoRA steps: loss {losses[0]:F4} -> {losses[2]:F4}; template: {Yoda.Format("Hi", "Hello").Replace("\n", "\\n")}");
return losses[2] < losses[0] ? 0 : 1;

[PromptCompletionTemplate("{prompt} ##[YODA]##> {completion}{eos}", Eos = "</s>")]
public static partial class Yoda;
