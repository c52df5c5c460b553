# usage.awk - reads the --help text of one goldenpath command. With -v emit=roff (the default)
# it writes man(7) markup for that command's subsection of goldenpath(1); with
# -v emit=completion and -v cmd=NAME, the command's line of the bash completion's case
# statement. Part of the build (docs/man/gen-cli-docs): the man page and the completion are made
# from the same strings the binary prints, so they cannot drift from it. It understands the
# shape every usage text in harness/ has: a "usage:" line, paragraphs, "  - " bullets, an
# "options:" block of "  -o, --opt ARG  text" entries with indented continuation lines, and
# paragraphs that open with "exit status" or "environment". Anything else is filled as text.

# Escapes a line for roff: backslashes, a leading control character, and the hyphens of
# options and other dashed tokens (\- stays an ASCII hyphen-minus, so copied options work).
function esc(s,    out, i, c, prev, next_c, intok) {
    gsub(/\\/, "\\e", s)
    out = ""
    intok = 0
    prev = " "
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        next_c = substr(s, i + 1, 1)
        if (c == "-" && !intok && index(" ('\"[/=|", prev) > 0 && next_c ~ /[-A-Za-z0-9]/)
            intok = 1
        if (intok && c !~ /[-A-Za-z0-9_]/)
            intok = 0
        out = out ((intok && c == "-") ? "\\-" : c)
        prev = c
    }
    if (out ~ /^[.']/)
        out = "\\&" out
    return out
}

# An option's tag, such as "-o, --output FILE": the options bold, their arguments italic.
function tag(s,    n, w, i, out, word) {
    n = split(s, w, / +/)
    out = ""
    for (i = 1; i <= n; i++) {
        word = w[i]
        if (word ~ /^-/) {
            sub(/,$/, "", word)
            out = out (out == "" ? "" : (w[i - 1] ~ /,$/ ? ", " : " ")) "\\fB" esc(word) "\\fR"
        } else {
            out = out " \\fI" esc(word) "\\fR"
        }
    }
    return out
}

# Splits an option entry (its leading two spaces removed) into T, the options and their
# argument ("-o, --output FILE"), and D, the text. The argument is one upper-case word
# (FILE, KEY=VALUE, INDEX/COUNT); the text may follow it after a single space.
function optsplit(line,    n, w, i) {
    n = split(line, w, / +/)
    T = ""
    for (i = 1; i <= n && w[i] ~ /^-/; i++)
        T = T (T == "" ? "" : " ") w[i]
    if (i <= n && w[i] ~ /^[A-Z][A-Z0-9_=\/.:-]*$/)
        T = T " " w[i++]
    D = ""
    for (; i <= n; i++)
        D = D (D == "" ? "" : " ") w[i]
}

function text(s) {
    sub(/^[ \t]+/, "", s)
    if (s != "")
        print esc(s)
}

BEGIN { mode = "text"; para = 0; if (emit == "") emit = "roff" }

emit == "completion" {
    if (NR == 1)
        exts = ($0 ~ /\.ya?ml/ ? "yaml yml" : "") ($0 ~ /\.json/ ? " json" : "")
    if (/^options:/) { inopts = 1; next }
    if (/^[ \t]*$/) inopts = 0
    if (!inopts || !/^  -/) next
    optsplit(substr($0, 3))
    n = split(T, w, / +/)
    arg = w[n] ~ /^-/ ? "" : w[n]
    for (i = 1; i <= n; i++) {
        if (w[i] !~ /^-/)
            continue
        o = w[i]
        sub(/,$/, "", o)
        opts = opts " " o
        if (arg ~ /^(FILE|F|[A-Z]+\.(json|yaml))$/)
            fileopts = fileopts " " o
        else if (arg != "")
            argopts = argopts " " o
    }
    next
}

NR == 1 && /^usage: / {
    s = substr($0, 8)
    print ".PP"
    print "\\fB" esc(s) "\\fR"
    next
}

/^[ \t]*$/ { para = 1; mode = (mode == "opt" || mode == "optitem") ? "text" : mode; next }

/^options:/ { print ".PP"; print "Options:"; mode = "opt"; para = 0; next }

(mode == "opt" || mode == "optitem") && /^  -/ {
    optsplit(substr($0, 3))
    print ".TP"
    print tag(T)
    text(D)
    mode = "optitem"
    next
}

mode == "optitem" && /^   / { text($0); next }

/^  - / {
    print ".IP \\(bu 2"
    text(substr($0, 5))
    mode = "bullet"
    para = 0
    next
}

mode == "bullet" && /^    / { text($0); next }

/^(exit status|environment)/ {
    split_at = index($0, ":")
    print ".PP"
    print "\\fI" esc(substr($0, 1, split_at)) "\\fR"
    text(substr($0, split_at + 1))
    mode = "text"
    para = 0
    next
}

{
    if (para || mode == "bullet")
        print ".PP"
    para = 0
    mode = "text"
    text($0)
}

END {
    if (emit == "completion") {
        sub(/^ /, "", opts); sub(/^ /, "", fileopts); sub(/^ /, "", argopts); sub(/^ /, "", exts)
        printf "    %s) opts=\"%s\"; fileopts=\"%s\"; argopts=\"%s\"; exts=\"%s\" ;;\n",
               cmd, opts, fileopts, argopts, exts
    }
}
