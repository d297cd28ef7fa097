"""M5: the raw-waveform keyword-spotting CNN of torchaudio's speech-command tutorial
(Dai et al., "Very deep convolutional neural networks for raw waveforms", 2017)."""
import ember.nn.functional as F
from ember import nn

__all__ = ["M5"]


class M5(nn.Module):
    """(B, n_input, T) waveforms → (B, 1, n_output) log-probabilities.

    A wide strided first convolution (kernel 80, stride `stride`) acts as a learned filter bank;
    three more conv/batch-norm/ReLU/max-pool stages follow, then global average pooling and a
    linear classifier.
    """

    def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
        self.bn4 = nn.BatchNorm1d(2 * n_channel)
        self.pool4 = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = self.pool3(F.relu(self.bn3(self.conv3(x))))
        x = self.pool4(F.relu(self.bn4(self.conv4(x))))
        x = F.avg_pool1d(x, x.shape[-1])  # (B, C, 1)
        x = self.fc1(x.permute(0, 2, 1))  # (B, 1, n_output)
        return F.log_softmax(x, dim=2)
