"""Every kernel gives the same numbers on every available device (CPU here; CPU and CUDA on a GPU machine).

Each test computes on ``device`` and compares with the CPU result. On a machine
without CUDA only "cpu" is parametrised: the tests then check that the kernels
run and keep their inputs' device; on a GPU machine (``pytest tests/test_devices.py``)
they are the CPU-vs-GPU correctness check. Tolerances allow for reassociated
float64 sums (1e-10) and float32 arithmetic (1e-4).
"""
import pytest
import torch
import torchvision

from repgeom.measures import abstraction, decoding, spatial, subspace
from repgeom.measures.similarity import gram, kernel_alignment, pairwise_linear_cka, rsm_consistency
from repgeom.measures.srm import SRM
from repgeom.models import gdln
from repgeom.models import locality_prior
from repgeom.models.batched_mlp import BatchedMLP, train_batched
from repgeom.models.features import penultimate_features
from repgeom.models.gdln import image_routing as routing
from repgeom.models.gdln import theory as th

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
D = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _same(on_device: torch.Tensor, on_cpu: torch.Tensor, device: str, tol: float = 1e-10) -> None:
    assert on_device.device.type == torch.device(device).type
    torch.testing.assert_close(on_device.cpu(), on_cpu, rtol=tol, atol=tol)


@pytest.mark.parametrize("device", DEVICES)
def test_principal_angles(device):
    a = torch.randn(5, 64, 8, generator=_gen(0), dtype=D)
    b = torch.randn(5, 64, 8, generator=_gen(1), dtype=D)
    _same(subspace.principal_angles(a.to(device), b.to(device)), subspace.principal_angles(a, b), device)


@pytest.mark.parametrize("device", DEVICES)
def test_srm(device):
    x = torch.randn(4, 60, 12, generator=_gen(2), dtype=D)
    w0 = SRM(n_iter=5, seed=0).init_w(x)
    ref = SRM(n_iter=5).fit(x, w0=w0)
    got = SRM(n_iter=5).fit(x.to(device), w0=w0.to(device))
    _same(got.w_, ref.w_, device, 1e-8)
    _same(got.s_, ref.s_, device, 1e-8)


@pytest.mark.parametrize("device", DEVICES)
def test_ccgp(device):
    z = torch.randn(2, 4, 6, 5, generator=_gen(3), dtype=D) + 2 * torch.randn(2, 4, 1, 5, generator=_gen(4), dtype=D)
    dich = decoding.balanced_dichotomies(4)
    _same(abstraction.ccgp(z.to(device), dich.to(device)), abstraction.ccgp(z, dich), device, 1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_locality_kernels(device):
    maps = torch.rand(20, 49, generator=_gen(5), dtype=D)
    _same(spatial.spatial_variance(maps.to(device), 7), spatial.spatial_variance(maps, 7), device)
    _same(locality_prior.grid_prior(7, device=device, dtype=D), locality_prior.grid_prior(7, dtype=D), device)
    w = torch.randn(3, 49, 49, generator=_gen(6))
    d = spatial.grid_distances(7)
    _same(spatial.wiring_cost(w.to(device), d.to(device)), spatial.wiring_cost(w, d), device, 1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_similarity(device):
    x = torch.randn(4, 30, 9, generator=_gen(7), dtype=D)
    _same(rsm_consistency(x.to(device)), rsm_consistency(x), device)
    _same(pairwise_linear_cka(x.to(device)), pairwise_linear_cka(x), device)
    k = x @ x.mT
    _same(kernel_alignment(k.to(device), k.flip(0).to(device)), kernel_alignment(k, k.flip(0)), device)
    wide = torch.randn(2, 1100, 260, generator=_gen(8), dtype=D)   # large enough for gram's row bands
    _same(gram(wide.to(device)), gram(wide), device)


@pytest.mark.parametrize("device", DEVICES)
def test_gdln_training_and_theory(device):
    mask = gdln.trained_routes(3, 2).reshape(-1).to(D)
    runs = {}
    for dev in {"cpu", device}:
        spec = gdln.routing(3, 6).to(dev, D)
        w = [t.to(dev) for t in gdln.init_random(gdln.routing(3, 6), [1, 2], 0.2)]
        runs[dev] = gdln.train(spec, w, 0.02, 40, mask=mask.to(dev))
    _same(runs[device].loss, runs["cpu"].loss, device)
    sys = th.reduce(gdln.routing(3, 6))
    b0 = torch.full((sys.n_edges, sys.n_modes), 0.2, dtype=D)
    ref = th.integrate(sys, b0, 0.02, 30, mask=mask)
    got = th.integrate(sys, b0.to(device), 0.02, 30, mask=mask.to(device))
    _same(got.loss, ref.loss, device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["pixels", "rotations"])
def test_image_routing(device, kind):
    x = torch.randn(30, 10, generator=_gen(8), dtype=D)
    y = torch.randint(0, 3, (30,), generator=_gen(9))
    dom = (routing.make_domains(3, 10, 3, seed=1) if kind == "pixels"
           else routing.make_rotation_domains(3, 10, 3, seed=1))
    trained = torch.stack([gdln.trained_routes(3, k) for k in (1, 2)])
    kw = dict(sigma0=torch.tensor([0.5, 0.5], dtype=D), lr=torch.tensor([0.2, 0.2], dtype=D), hidden=5, epochs=10,
              seed=3, n_classes=3)
    ref = routing.train_image_routing(x[:20], y[:20], x[20:], y[20:], dom, trained, **kw)
    xd, yd = x.to(device), y.to(device)
    got = routing.train_image_routing(xd[:20], yd[:20], xd[20:], yd[20:], dom, trained.to(device), **kw)
    _same(got.loss, ref.loss, device)
    if kind == "rotations":
        rot = routing.make_rotation_domains(3, 10, 3, seed=1, device=device)
        _same(rot.rotations, dom.rotations, device)


@pytest.mark.parametrize("device", DEVICES)
def test_batched_mlp_training(device):
    x = torch.randn(2, 16, 6, generator=_gen(10))
    y = torch.sign(torch.randn(2, 16, 1, generator=_gen(11)))
    losses = {}
    for dev in {"cpu", device}:
        model = BatchedMLP(2, 6, [8], activations="tanh", seed=4, device=dev)
        losses[dev] = train_batched(model, lambda s, dev=dev: (x.to(dev), y.to(dev)), 20, 0.1)
    torch.testing.assert_close(losses[device], losses["cpu"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_penultimate_features(device):
    torch.manual_seed(0)
    net = torchvision.models.resnet18().eval()
    images = torch.rand(3, 3, 32, 32, generator=_gen(12))
    ref = penultimate_features(net, images, size=32)
    got = penultimate_features(net.to(device), images, size=32)
    _same(got, ref, device, 1e-4)
