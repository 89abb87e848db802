#!/usr/bin/env bash
# Makes the default prompts callers hear, offline: Chinese speech from Debian's espeak-ng
# (voice cmn) converted by sox to what hotline plays (WAV, 8 kHz, 16-bit, mono), and the hold
# audio synthesised by sox. Nothing is fetched from the internet.
#
#   scripts/prompts.sh DIR [--force]
#
# Existing files are kept unless --force: an administrator's own recordings are not replaced.
set -euo pipefail
dir=${1:?usage: scripts/prompts.sh DIR [--force]}
force=${2:-}
for p in espeak-ng sox; do
  command -v "$p" >/dev/null 2>&1 || { echo "prompts: $p is missing (apt-get install espeak-ng sox; scripts/install-deps.sh does it)" >&2; exit 1; }
done
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

speak() { # name text
  local out="$dir/$1.wav"
  if [ -s "$out" ] && [ "$force" != --force ]; then return; fi
  espeak-ng -v cmn -s 175 -w "$tmp/$1.raw.wav" "$2"
  sox "$tmp/$1.raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$tmp/$1.wav" norm -3
  mv "$tmp/$1.wav" "$out"
}

speak greeting "您好，欢迎致电12345政务服务便民热线。本次通话将被录音。正在为您转接人工服务，请稍候。"
speak queue "您前面还有来电在等候，请耐心等待，我们将尽快为您服务。"
speak survey "请对本次服务进行评价。满意请按1，基本满意请按2，不满意请按3。"
speak thanks "感谢您的评价，再见。"
speak out-of-hours "您好，现在是非工作时间。请在提示音后留言，我们将尽快回电。"
speak no-agent "您好，坐席人员正忙，请在提示音后留言，我们将尽快给您回电。"
speak callback-offer "如需我们稍后给您回电，请按1。"
speak callback-confirm "已为您登记回电，我们将尽快给您回电。再见。"
speak message-thanks "您的留言已收到，我们将尽快给您回电。再见。"

# The queue position, said as 您前面还有 + a number + 位来电在等候 (or 您是下一位).
speak queue-ahead "您前面还有"
speak queue-calls "位来电在等候，请耐心等待。"
speak queue-next "您是下一位，请稍候。"
speak queue-many "很多"
# The estimated wait, said as 预计等待时间约 + a number + 分钟 (or 超过二十分钟).
speak wait-about "预计等待时间约"
speak wait-minutes "分钟。"
speak wait-long "预计等待时间超过二十分钟。"
numbers=(一 两 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十)
for i in "${!numbers[@]}"; do speak "n-$((i + 1))" "${numbers[$i]}"; done

# Hold audio: a quiet, slow chime (C–E–G–E), twelve seconds, looped by hotline.
if [ ! -s "$dir/hold.wav" ] || [ "$force" = --force ]; then
  for n in C4 E4 G4 E4; do
    sox -n -r 8000 -c 1 -b 16 -e signed-integer "$tmp/note-$n.wav" synth 1.5 sine "$n" fade q 0.05 1.5 0.6 vol 0.25
    sox -n -r 8000 -c 1 -b 16 -e signed-integer "$tmp/rest-$n.wav" trim 0 1.5
  done
  sox "$tmp"/note-C4.wav "$tmp"/rest-C4.wav "$tmp"/note-E4.wav "$tmp"/rest-E4.wav \
      "$tmp"/note-G4.wav "$tmp"/rest-G4.wav "$tmp"/note-E4.wav "$tmp"/rest-E4.wav "$tmp/hold.wav"
  mv "$tmp/hold.wav" "$dir/hold.wav"
fi
echo "prompts in $dir" >&2
