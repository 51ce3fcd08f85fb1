"""AttnGAN (taoxugit/AttnGAN ``code/model.py`` and ``GlobalAttention.py``): ``RNN_ENCODER``, ``CNN_ENCODER``,
``G_NET``.

The original reads its sizes from the global ``cfg`` (``TEXT.EMBEDDING_DIM``, ``GAN.GF_DIM``,
``GAN.CONDITION_DIM``, ``GAN.Z_DIM``, ``GAN.R_NUM``, ``TREE.BRANCH_NUM``); here they are arguments. The
first stage is 4x4 then four up-blocks (64x64), each next stage doubles. The conditioning augmentation
draws its noise with the global random generator (``torch.randn``; the original fills a CUDA tensor).
``pretrainDAMSM.py`` saves ``text_encoder*.pth`` and ``image_encoder*.pth``, ``trainer.py`` saves
``netG_epoch_*.pth`` (``G_NET`` inside ``DataParallel``), all plain state dicts.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class GLU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nc = int(x.size(1) / 2)
        return x[:, :nc] * torch.sigmoid(x[:, nc:])


def conv1x1(in_planes: int, out_planes: int) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=1, padding=0, bias=False)


def conv3x3(in_planes: int, out_planes: int) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=1, padding=1, bias=False)


def upBlock(in_planes: int, out_planes: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        conv3x3(in_planes, out_planes * 2),
        nn.BatchNorm2d(out_planes * 2),
        GLU(),
    )


class ResBlock(nn.Module):
    def __init__(self, channel_num: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            conv3x3(channel_num, channel_num * 2),
            nn.BatchNorm2d(channel_num * 2),
            GLU(),
            conv3x3(channel_num, channel_num),
            nn.BatchNorm2d(channel_num),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x) + x


class RNN_ENCODER(nn.Module):
    """The bidirectional LSTM text encoder (``RNN_TYPE: LSTM``, one layer; ``nhidden``: both directions)."""

    def __init__(self, ntoken: int, ninput: int = 300, drop_prob: float = 0.5, nhidden: int = 128) -> None:
        super().__init__()
        self.num_directions = 2
        self.nhidden = nhidden // self.num_directions
        self.encoder = nn.Embedding(ntoken, ninput)
        self.drop = nn.Dropout(drop_prob)
        self.rnn = nn.LSTM(ninput, self.nhidden, 1, batch_first=True, bidirectional=True)

    def init_hidden(self, bsz: int) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = torch.zeros(2, bsz, self.nhidden)
        return zeros, zeros.clone()

    def forward(
        self, captions: torch.Tensor, cap_lens: torch.Tensor, hidden
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``captions`` sorted by length, longest first (as the original's data loader sorts them)."""
        emb = self.drop(self.encoder(captions))
        emb = pack_padded_sequence(emb, cap_lens.tolist(), batch_first=True)
        output, hidden = self.rnn(emb, hidden)
        output = pad_packed_sequence(output, batch_first=True)[0]
        words_emb = output.transpose(1, 2)
        sent_emb = hidden[0].transpose(0, 1).contiguous().view(-1, self.nhidden * self.num_directions)
        return words_emb, sent_emb


class CNN_ENCODER(nn.Module):
    """The DAMSM image encoder: torchvision's Inception-v3 up to ``Mixed_7c`` plus two projections."""

    def __init__(self, nef: int) -> None:
        super().__init__()
        from torchvision.models import inception_v3

        model = inception_v3(weights=None, aux_logits=False, init_weights=False)
        for name in (
            "Conv2d_1a_3x3 Conv2d_2a_3x3 Conv2d_2b_3x3 Conv2d_3b_1x1 Conv2d_4a_3x3 Mixed_5b Mixed_5c "
            "Mixed_5d Mixed_6a Mixed_6b Mixed_6c Mixed_6d Mixed_6e Mixed_7a Mixed_7b Mixed_7c"
        ).split():
            self.add_module(name, getattr(model, name))
        self.emb_features = conv1x1(768, nef)
        self.emb_cnn_code = nn.Linear(2048, nef)


class CA_NET(nn.Module):
    def __init__(self, t_dim: int, c_dim: int) -> None:
        super().__init__()
        self.t_dim, self.c_dim = t_dim, c_dim
        self.fc = nn.Linear(t_dim, c_dim * 4, bias=True)
        self.relu = GLU()

    def forward(self, text_embedding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.relu(self.fc(text_embedding))
        mu, logvar = x[:, : self.c_dim], x[:, self.c_dim :]
        std = logvar.mul(0.5).exp_()
        eps = torch.randn(std.size())
        return eps.mul(std).add_(mu), mu, logvar


class GlobalAttentionGeneral(nn.Module):
    def __init__(self, idf: int, cdf: int) -> None:
        super().__init__()
        self.conv_context = conv1x1(cdf, idf)
        self.sm = nn.Softmax(dim=1)  # the original's nn.Softmax() takes dim 1 of its 2-d input
        self.mask = None

    def applyMask(self, mask: torch.Tensor) -> None:
        self.mask = mask  # batch x sourceL

    def forward(self, input: torch.Tensor, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ih, iw = input.size(2), input.size(3)
        query_len = ih * iw
        batch_size, source_len = context.size(0), context.size(2)
        target = input.view(batch_size, -1, query_len)
        target_t = torch.transpose(target, 1, 2).contiguous()
        source_t = self.conv_context(context.unsqueeze(3)).squeeze(3)
        attn = torch.bmm(target_t, source_t).view(batch_size * query_len, source_len)
        if self.mask is not None:
            # as the original: rows repeat the batch's masks in turn, which matches each row's caption only
            # when the captions of a batch share one mask (same length), or for a batch of one
            attn = attn.masked_fill(self.mask.repeat(query_len, 1), -float("inf"))
        attn = self.sm(attn).view(batch_size, query_len, source_len)
        attn = torch.transpose(attn, 1, 2).contiguous()
        weighted = torch.bmm(source_t, attn).view(batch_size, -1, ih, iw)
        return weighted, attn.view(batch_size, -1, ih, iw)


class INIT_STAGE_G(nn.Module):
    def __init__(self, ngf: int, in_dim: int) -> None:
        super().__init__()
        self.gf_dim = ngf
        self.fc = nn.Sequential(
            nn.Linear(in_dim, ngf * 4 * 4 * 2, bias=False), nn.BatchNorm1d(ngf * 4 * 4 * 2), GLU()
        )
        self.upsample1 = upBlock(ngf, ngf // 2)
        self.upsample2 = upBlock(ngf // 2, ngf // 4)
        self.upsample3 = upBlock(ngf // 4, ngf // 8)
        self.upsample4 = upBlock(ngf // 8, ngf // 16)

    def forward(self, z_code: torch.Tensor, c_code: torch.Tensor) -> torch.Tensor:
        out = self.fc(torch.cat((c_code, z_code), 1)).view(-1, self.gf_dim, 4, 4)
        return self.upsample4(self.upsample3(self.upsample2(self.upsample1(out))))


class NEXT_STAGE_G(nn.Module):
    def __init__(self, ngf: int, nef: int, r_num: int) -> None:
        super().__init__()
        self.att = GlobalAttentionGeneral(ngf, nef)
        self.residual = nn.Sequential(*[ResBlock(ngf * 2) for _ in range(r_num)])
        self.upsample = upBlock(ngf * 2, ngf)

    def forward(self, h_code, c_code, word_embs, mask) -> tuple[torch.Tensor, torch.Tensor]:
        self.att.applyMask(mask)
        c_code, att = self.att(h_code, word_embs)
        out = self.residual(torch.cat((h_code, c_code), 1))
        return self.upsample(out), att


class GET_IMAGE_G(nn.Module):
    def __init__(self, ngf: int) -> None:
        super().__init__()
        self.img = nn.Sequential(conv3x3(ngf, 3), nn.Tanh())

    def forward(self, h_code: torch.Tensor) -> torch.Tensor:
        return self.img(h_code)


class G_NET(nn.Module):
    def __init__(
        self,
        ngf: int = 32,
        nef: int = 256,
        ncf: int = 100,
        z_dim: int = 100,
        branch_num: int = 3,
        r_num: int = 2,
    ) -> None:
        super().__init__()
        self.branch_num = branch_num
        self.ca_net = CA_NET(nef, ncf)
        self.h_net1 = INIT_STAGE_G(ngf * 16, z_dim + ncf)
        self.img_net1 = GET_IMAGE_G(ngf)
        for i in range(2, branch_num + 1):
            self.add_module(f"h_net{i}", NEXT_STAGE_G(ngf, nef, r_num))
            self.add_module(f"img_net{i}", GET_IMAGE_G(ngf))

    def forward(
        self, z_code, sent_emb, word_embs, mask
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor, torch.Tensor]:
        c_code, mu, logvar = self.ca_net(sent_emb)
        h_code = self.h_net1(z_code, c_code)
        fake_imgs, att_maps = [self.img_net1(h_code)], []
        for i in range(2, self.branch_num + 1):
            h_code, att = getattr(self, f"h_net{i}")(h_code, c_code, word_embs, mask)
            fake_imgs.append(getattr(self, f"img_net{i}")(h_code))
            att_maps.append(att)
        return fake_imgs, att_maps, mu, logvar
