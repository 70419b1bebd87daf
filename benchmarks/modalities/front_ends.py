#!/usr/bin/env python3
"""The Python peer of `plinth-bench images|audio DIR`: the same files, the same
preprocessing, one worker process per thread (as a DataLoader with
num_workers=N), median of 3 passes after a warm-up. Prints one "JSON" line.

images: PIL open + convert("RGB") + torchvision Resize(224, bicubic),
        CenterCrop(224), ToTensor, Normalize(CLIP mean, std)
audio:  soundfile read + mono + torchaudio resample to 16 kHz + at most 2 s +
        ImageBind's waveform2melspec (Kaldi fbank, 128 mels, 204 frames) + Normalize
"""
import argparse
import json
import os
import statistics
import sys
import time
from multiprocessing import Pool

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "fixtures"))
import reference_imports  # noqa: E402

CLIP_MEAN, CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]
work = None


def init_images():
    global work
    import torch
    torch.set_num_threads(1)
    T = reference_imports.torchvision_transforms()
    from PIL import Image
    transform = T.Compose([T.Resize(224, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(224),
                           T.ToTensor(), T.Normalize(CLIP_MEAN, CLIP_STD)])

    def item(path):
        with Image.open(path) as im:
            return tuple(transform(im.convert("RGB")).shape)
    work = item


def init_audio():
    global work
    import torch
    torch.set_num_threads(1)
    reference_imports.torchaudio()
    import soundfile as sf
    import torchaudio.compliance.kaldi as kaldi
    import torchaudio.functional as AF

    def item(path):
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        wave = torch.from_numpy(data.T.copy()).mean(0, keepdim=True)
        if rate != 16000:
            wave = AF.resample(wave, rate, 16000)
        wave = wave[:, :32000]
        wave = wave - wave.mean()
        fbank = kaldi.fbank(wave, htk_compat=True, sample_frequency=16000, use_energy=False,
                            window_type="hanning", num_mel_bins=128, dither=0.0, frame_length=25,
                            frame_shift=10).transpose(0, 1)
        p = 204 - fbank.size(1)
        fbank = torch.nn.functional.pad(fbank, (0, p)) if p > 0 else fbank[:, :204]
        return tuple(((fbank - -4.268) / 9.138).shape)
    work = item


def run(path):
    return work(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["images", "audio"])
    ap.add_argument("folder")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    files = [os.path.join(a.folder, f) for f in sorted(os.listdir(a.folder))]
    with Pool(a.workers, initializer=init_images if a.kind == "images" else init_audio) as pool:
        pool.map(run, files, chunksize=4)  # warm-up: imports, page cache
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            pool.map(run, files, chunksize=4)
            times.append(time.perf_counter() - t0)
    print("JSON " + json.dumps({"name": a.kind, "files": len(files), "threads": a.workers,
                                "items_per_s": len(files) / statistics.median(times)}))


if __name__ == "__main__":
    main()
