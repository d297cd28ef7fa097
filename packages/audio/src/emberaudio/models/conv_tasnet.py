"""Conv-TasNet (Luo & Mesgarani, 2019): time-domain source separation with a learned encoder,
a temporal-convolution mask generator and a learned decoder (torchaudio's module layout)."""
import ember
from ember import nn

__all__ = ["ConvTasNet", "conv_tasnet_base"]


class ConvBlock(nn.Module):
    """1x1 conv → PReLU → gLN → dilated depthwise conv → PReLU → gLN, then residual and skip
    1x1 convs (the last block of the network has no residual output)."""

    def __init__(self, io_channels, hidden_channels, kernel_size, padding, dilation=1,
                 no_residual=False):
        super().__init__()
        self.conv_layers = nn.Sequential(
            nn.Conv1d(io_channels, hidden_channels, kernel_size=1),
            nn.PReLU(),
            nn.GroupNorm(1, hidden_channels, eps=1e-08),
            nn.Conv1d(hidden_channels, hidden_channels, kernel_size, padding=padding,
                      dilation=dilation, groups=hidden_channels),
            nn.PReLU(),
            nn.GroupNorm(1, hidden_channels, eps=1e-08),
        )
        self.res_out = None if no_residual else nn.Conv1d(hidden_channels, io_channels, 1)
        self.skip_out = nn.Conv1d(hidden_channels, io_channels, kernel_size=1)

    def forward(self, input):
        feature = self.conv_layers(input)
        residual = None if self.res_out is None else self.res_out(feature)
        return residual, self.skip_out(feature)


class MaskGenerator(nn.Module):
    """Encoded mixture (B, F, M) → one mask per source (B, S, F, M)."""

    def __init__(self, input_dim, num_sources, kernel_size, num_feats, num_hidden, num_layers,
                 num_stacks, msk_activate):
        super().__init__()
        self.input_dim, self.num_sources = input_dim, num_sources
        self.input_norm = nn.GroupNorm(1, input_dim, eps=1e-8)
        self.input_conv = nn.Conv1d(input_dim, num_feats, kernel_size=1)
        self.receptive_field = 0
        self.conv_layers = nn.ModuleList()
        for s in range(num_stacks):
            for layer in range(num_layers):
                dilation = 2 ** layer
                last = layer == num_layers - 1 and s == num_stacks - 1
                self.conv_layers.append(ConvBlock(num_feats, num_hidden, kernel_size,
                                                  padding=dilation, dilation=dilation,
                                                  no_residual=last))
                self.receptive_field += kernel_size if s == 0 and layer == 0 else \
                    (kernel_size - 1) * dilation
        self.output_prelu = nn.PReLU()
        self.output_conv = nn.Conv1d(num_feats, input_dim * num_sources, kernel_size=1)
        if msk_activate == "sigmoid":
            self.mask_activate = nn.Sigmoid()
        elif msk_activate == "relu":
            self.mask_activate = nn.ReLU()
        else:
            raise ValueError(f"ConvTasNet: msk_activate must be 'sigmoid' or 'relu', got "
                             f"{msk_activate!r}")

    def forward(self, input):
        batch = input.shape[0]
        feats = self.input_conv(self.input_norm(input))
        output = 0.0
        for layer in self.conv_layers:
            residual, skip = layer(feats)
            if residual is not None:
                feats = feats + residual
            output = output + skip
        output = self.mask_activate(self.output_conv(self.output_prelu(output)))
        return output.view(batch, self.num_sources, self.input_dim, -1)


class ConvTasNet(nn.Module):
    """(B, 1, T) mixture → (B, num_sources, T) separated sources."""

    def __init__(self, num_sources=2, enc_kernel_size=16, enc_num_feats=512, msk_kernel_size=3,
                 msk_num_feats=128, msk_num_hidden_feats=512, msk_num_layers=8, msk_num_stacks=3,
                 msk_activate="sigmoid"):
        super().__init__()
        self.num_sources = num_sources
        self.enc_num_feats = enc_num_feats
        self.enc_kernel_size = enc_kernel_size
        self.enc_stride = enc_kernel_size // 2
        self.encoder = nn.Conv1d(1, enc_num_feats, enc_kernel_size, stride=self.enc_stride,
                                 padding=self.enc_stride, bias=False)
        self.mask_generator = MaskGenerator(
            enc_num_feats, num_sources, msk_kernel_size, msk_num_feats, msk_num_hidden_feats,
            msk_num_layers, msk_num_stacks, msk_activate)
        self.decoder = nn.ConvTranspose1d(enc_num_feats, 1, enc_kernel_size,
                                          stride=self.enc_stride, padding=self.enc_stride,
                                          bias=False)

    def _align_num_frames_with_strides(self, input):
        """Zero-pad the end so the frames tile exactly with the encoder's stride."""
        batch, channels, frames = input.shape
        is_odd = self.enc_kernel_size % 2
        num_strides = (frames - is_odd) // self.enc_stride
        remaining = frames - (is_odd + num_strides * self.enc_stride)
        if remaining == 0:
            return input, 0
        num_paddings = self.enc_stride - remaining
        pad = ember.zeros(batch, channels, num_paddings, dtype=input.dtype, device=input.device)
        return ember.cat([input, pad], 2), num_paddings

    def forward(self, input):
        if input.ndim != 3 or input.shape[1] != 1:
            raise ValueError(f"ConvTasNet: expected a 3-D (batch, 1, frames) input, got "
                             f"shape {list(input.shape)}")
        padded, num_pads = self._align_num_frames_with_strides(input)
        batch, frames = padded.shape[0], padded.shape[2]
        feats = self.encoder(padded)  # (B, F, M)
        masked = self.mask_generator(feats) * feats.unsqueeze(1)  # (B, S, F, M)
        masked = masked.view(batch * self.num_sources, self.enc_num_feats, -1)
        output = self.decoder(masked).view(batch, self.num_sources, frames)
        return output[..., :-num_pads] if num_pads > 0 else output


def conv_tasnet_base(num_sources=2):
    """The paper's best configuration (N=512, L=16, B=128, H=512, P=3, X=8, R=3, ReLU masks)."""
    return ConvTasNet(num_sources=num_sources, enc_kernel_size=16, enc_num_feats=512,
                      msk_kernel_size=3, msk_num_feats=128, msk_num_hidden_feats=512,
                      msk_num_layers=8, msk_num_stacks=3, msk_activate="relu")
