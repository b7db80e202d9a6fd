# bash completion for cell. The commands and flags come from cell's own
# --help texts, so they follow the binary; container ids from `cell list -q`.

# Global options that take a value (cell --help).
_cell_global_args='--root|--log|--log-format|--cgroup-manager|--rootless'
# Commands whose first operand is a container id.
_cell_id_commands='start|state|kill|delete|ps|pause|resume|update|events|exec|wait|logs|checkpoint'

_cell() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local i cmd= cmd_at=0 root=()

    for ((i = 1; i < COMP_CWORD; i++)); do
        local w=${COMP_WORDS[i]}
        if [[ $w == --root ]]; then
            root=(--root "${COMP_WORDS[i+1]}")
        fi
        if [[ $w =~ ^($_cell_global_args)$ ]]; then
            ((i++))
        elif [[ $w != -* ]]; then
            cmd=$w cmd_at=$i
            break
        fi
    done
    if [[ -z $cmd ]]; then
        if [[ $prev =~ ^($_cell_global_args)$ ]]; then
            COMPREPLY=($(compgen -f -- "$cur"))
        elif [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$(cell --help 2>/dev/null |
                grep -oE -- '--[a-z][a-z-]*' | sort -u)" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(cell --help 2>/dev/null |
                sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')" -- "$cur"))
        fi
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(cell "$cmd" --help 2>/dev/null |
            grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' | tr -d ' ,' | sort -u)" -- "$cur"))
        return
    fi
    # the first operand after an id command's options
    if [[ $cmd =~ ^($_cell_id_commands)$ ]]; then
        local operands=0
        for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
            [[ ${COMP_WORDS[i]} != -* ]] && ((operands++))
        done
        if ((operands == 0)); then
            COMPREPLY=($(compgen -W "$(cell "${root[@]}" list -q 2>/dev/null)" -- "$cur"))
            return
        fi
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}

complete -F _cell cell
