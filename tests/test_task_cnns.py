"""The task-structure chapter's ConvNets and their last hidden representation."""
import pytest
import torch
from torch import nn

from repgeom.models.task_cnns import Activation, last_hidden, task_cnn


@pytest.mark.parametrize("act,f", [("tanh", torch.tanh), ("relu", torch.relu)])
def test_small_cnn_last_hidden_equals_manual_forward(act, f):
    torch.manual_seed(0)
    net = task_cnn("small", act, 16).eval()
    x = torch.randn(5, 3, 16, 16)
    assert net(x).shape == (5, 5)
    manual = f(net[7](net[6](net[5](net[4](net[3](net[2](net[1](net[0](x)))))))))
    torch.testing.assert_close(last_hidden(net, x, batch_size=2), manual)


def test_resnet18_has_no_relu_left():
    net = task_cnn("resnet18", "tanh", 32)
    assert not any(isinstance(m, nn.ReLU) for m in net.modules())
    acts = [m for m in net.modules() if isinstance(m, Activation)]
    assert acts and all(m.name == "tanh" for m in acts)
    with torch.no_grad():
        assert last_hidden(net.eval(), torch.randn(2, 3, 32, 32)).shape == (2, 512)


@pytest.mark.parametrize("call,match", [
    (lambda: task_cnn("vgg", "tanh", 16), "arch"),
    (lambda: task_cnn("small", "gelu", 16), "activation"),
    (lambda: task_cnn("resnet18", "gelu", 16), "activation"),
    (lambda: task_cnn("small", "relu", 18), "side"),
    (lambda: last_hidden(nn.Sequential(nn.Conv2d(3, 2, 3)), torch.randn(1, 3, 8, 8)), "nn.Linear"),
    (lambda: last_hidden(task_cnn("small", "relu", 8), torch.full((1, 3, 8, 8), float("nan"))), "NaN"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
