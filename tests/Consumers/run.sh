#!/usr/bin/env bash
# Consumes the packed Parley packages as a user does: each project here is copied to a fresh folder outside the
# repository (no Directory.Build.props, no ProjectReference), restored from a generated nuget.config whose local feed
# is the only source allowed for Parley* (source mapping), at a version unique to this run (so a package cached by
# an earlier run can never be the one tested), with Nullable on and warnings as errors.
#
#   tests/Consumers/run.sh VERSION FEED_DIR
#
# Prints one line per check ("consumer: NAME passed|failed: why") and last "consumers: N passed, M failed".
# Exit status: 0 when every check passed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:?version}"
feed="$(cd "${2:?feed folder}" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/parley-consumers.XXXXXX")"
[ -n "${PARLEY_KEEP_CONSUMERS:-}" ] && echo "consumer projects kept in $work" || trap 'rm -rf "$work"' EXIT
cp -r "$here"/. "$work"/
cd "$work"

cat > nuget.config <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="parley-local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="parley-local">
      <package pattern="Parley" />
      <package pattern="Parley.*" />
    </packageSource>
    <packageSource key="nuget.org">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
EOF
cat > Directory.Build.props <<EOF
<Project>
  <PropertyGroup>
    <ParleyVersion>$version</ParleyVersion>
  </PropertyGroup>
</Project>
EOF
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

passed=0; failed=0
report() { # name, status (0 = pass), message
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "consumer: $1 passed${3:+: $3}";
  else failed=$((failed + 1)); echo "consumer: $1 failed: $3"; fi
}
# The PARLEY/CS errors of a build log as "ID file line column", one per line, sorted and unique.
errors_of() {
  sed -n -E 's#^(.*/)?([^/(]+)\(([0-9]+),([0-9]+)\): error ([A-Z]+[0-9]+):.*#\5 \2 \3 \4#p' "$1" | sort -u
}

# 1. Formatting only: structured, prompt/completion, Jinja inline, Jinja file, <ParleyChatTemplate> items, a built-in.
if dotnet build formatting -c Release > formatting.log 2>&1; then
  dotnet formatting/bin/Release/net10.0/Formatting.dll > formatting.out 2>&1
  if cmp -s formatting.out formatting/expected-output.txt; then
    report formatting-output 0 "byte-exact"
  else
    report formatting-output 1 "output differs from expected-output.txt: $(diff formatting/expected-output.txt formatting.out | head -5 | tr '\n' ' ')"
  fi
  packages=$(python3 -c 'import json,sys; print(" ".join(sorted(k for k,v in json.load(open(sys.argv[1]))["libraries"].items() if v["type"]=="package")))' formatting/obj/project.assets.json)
  if [ "$packages" = "Parley/$version" ]; then
    nupkg=$(stat -c %s "$feed/Parley.$version.nupkg"); bin=$(du -sb formatting/bin/Release/net10.0 | cut -f1)
    report formatting-dependencies 0 "restores only Parley ($((nupkg / 1024)) KiB package); bin/ $((bin / 1024)) KiB"
  else
    report formatting-dependencies 1 "project.assets.json lists packages: $packages (only Parley/$version expected)"
  fi
else
  report formatting-output 1 "build failed: $(grep -E 'error' formatting.log | head -3 | tr '\n' ' ')"
  report formatting-dependencies 1 "not checked: the build failed"
fi

# 2. A broken template project: the build fails with the expected PARLEY ids at the expected places, and nothing else.
dotnet build broken -c Release > broken.log 2>&1; status=$?
errors_of broken.log > broken.errors
if [ "$status" -ne 0 ] && cmp -s broken.errors broken/expected-diagnostics.txt; then
  report broken-template 0 "$(wc -l < broken.errors) diagnostics at the expected file/line/column"
else
  report broken-template 1 "exit $status; errors: $(tr '\n' ';' < broken.errors) expected: $(tr '\n' ';' < broken/expected-diagnostics.txt)"
fi

# 3. net8.0: one clear NuGet error (NU1202), nothing else.
dotnet restore net8 > net8.log 2>&1; status=$?
if [ "$status" -ne 0 ] && grep -q "NU1202.*Parley" net8.log; then
  report net8 0 "$(grep -o 'NU1202: [^[]*' net8.log | head -1 | cut -c1-110)"
else
  report net8 1 "exit $status; expected NU1202 for Parley: $(grep -E 'error' net8.log | head -2 | tr '\n' ' ')"
fi

# 4. LangVersion 10: exactly one error, PARLEY023, and no generated code to fail.
dotnet build langversion10 -c Release > langversion10.log 2>&1; status=$?
lv_errors=$(grep -oE 'error [A-Z]+[0-9]+' langversion10.log | sort -u | tr '\n' ' ')
if [ "$status" -ne 0 ] && [ "$lv_errors" = "error PARLEY023 " ]; then
  report langversion10 0 "$(grep -o 'PARLEY023: [^[]*' langversion10.log | head -1 | cut -c1-100)"
else
  report langversion10 1 "exit $status; errors: $lv_errors"
fi

# 5. Training: Parley.Training + libtorch-cpu-linux-x64; the buildTransitive step makes TorchSharp load on Debian 12.
if dotnet build training -c Release > training.log 2>&1; then
  if out=$(dotnet training/bin/Release/net10.0/Training.dll 2>&1); then
    report training 0 "$out"
  else
    report training 1 "run failed: $(echo "$out" | tail -3 | tr '\n' ' ')"
  fi
else
  report training 1 "build failed: $(grep -E 'error' training.log | head -3 | tr '\n' ' ')"
fi
rm -rf training/bin training/obj

# 6. The .NET tool: install from the feed, render a built-in template, check a good and a bad template.
if dotnet tool install Parley.Tool --version "$version" --tool-path "$work/tools" --configfile nuget.config > tool.log 2>&1; then
  parley="$work/tools/parley"
  "$parley" render --template qwen3 --vars tool/conversation.json > render.out 2> render.err; status=$?
  if [ "$status" -eq 0 ] && cmp -s render.out tool/expected-render.txt; then
    report tool-render 0 "parley render --template qwen3: byte-exact"
  else
    report tool-render 1 "exit $status: $(head -c 300 render.err) $(diff tool/expected-render.txt render.out | head -5 | tr '\n' ' ')"
  fi
  "$parley" check tool/good.jinja > good.out 2>&1; good=$?
  "$parley" check tool/bad.jinja > bad.out 2>&1; bad=$?
  if [ "$good" -eq 0 ] && [ "$bad" -eq 1 ] && grep -q "shout" bad.out && [ "$(wc -l < bad.out)" -le 3 ] && ! grep -q "   at " bad.out; then
    report tool-check 0 "good: exit 0; bad: exit 1, $(head -1 bad.out | cut -c1-100)"
  else
    report tool-check 1 "good exit $good ($(head -2 good.out | tr '\n' ' ')); bad exit $bad ($(head -3 bad.out | tr '\n' ' '))"
  fi
else
  report tool-render 1 "install failed: $(tail -3 tool.log | tr '\n' ' ')"
  report tool-check 1 "not checked: the install failed"
fi

echo "consumers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
