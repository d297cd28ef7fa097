"""ResNet-18/50 written once against a framework module (`ember` or `torch`).

torchvision's structure and state_dict keys (conv1, bn1, layer1.0.conv1, ..., fc), so weights
copy across by name. `cifar_stem` swaps the 7x7/2 stem and its max-pool for one 3x3/1 conv, the
usual stem for 32x32 inputs.
"""

REQUIRED = ("nn.Module", "nn.Sequential", "nn.Conv2d", "nn.BatchNorm2d", "nn.ReLU",
            "nn.MaxPool2d", "nn.AdaptiveAvgPool2d", "nn.Linear", "flatten")


def _blocks(nn):
    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class Bottleneck(nn.Module):
        expansion = 4

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(planes * 4)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            return self.relu(out + identity)

    return BasicBlock, Bottleneck


def resnet(fw, depth, num_classes, cifar_stem):
    """ResNet-18 (depth 18, basic blocks) or ResNet-50 (depth 50, bottlenecks) built in `fw`."""
    nn = fw.nn
    basic, bottleneck = _blocks(nn)
    block, layers = {18: (basic, [2, 2, 2, 2]), 50: (bottleneck, [3, 4, 6, 3])}[depth]

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.inplanes = 64
            if cifar_stem:
                self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
                self.maxpool = nn.Identity()
            else:
                self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
                self.maxpool = nn.MaxPool2d(3, 2, 1)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = self._layer(64, layers[0], 1)
            self.layer2 = self._layer(128, layers[1], 2)
            self.layer3 = self._layer(256, layers[2], 2)
            self.layer4 = self._layer(512, layers[3], 2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 * block.expansion, num_classes)

        def _layer(self, planes, blocks, stride):
            downsample = None
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = nn.Sequential(
                    nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                    nn.BatchNorm2d(planes * block.expansion))
            modules = [block(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes * block.expansion
            modules += [block(self.inplanes, planes) for _ in range(1, blocks)]
            return nn.Sequential(*modules)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(fw.flatten(self.avgpool(x), 1))

    return ResNet()
