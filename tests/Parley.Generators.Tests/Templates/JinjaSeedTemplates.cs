namespace Parley.Generators.Tests.Templates;

/// <summary>Phi-3's real chat template (tokenizer_config.json, July 2024), compiled from Jinja.</summary>
[JinjaChatTemplate("{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
    Bos = "<s>", Eos = "<|endoftext|>")]
public static partial class Phi3JinjaTemplate;

/// <summary>The seed's ChatML template (TRL's <c>setup_chat_format</c> shape, with the model's <c>&lt;/s&gt;</c>), compiled from Jinja.</summary>
[JinjaChatTemplate("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + eos_token + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    Bos = "<s>", Eos = "</s>")]
public static partial class ChatMLJinjaTemplate;
