# SPDX-License-Identifier: GPL-2.0
# nmbctl.bash - bash completion of nmbctl. Commands and options come from
# nmbctl --help, reservation names from the running agent (nmbctl list
# --json), @PLACE from its place list (nmbctl search --json), import
# description names from the .nmb/ folders nmbctl searches.

_nmbctl_commands()
{
	nmbctl --help 2>/dev/null |
		awk '/^Commands:/ { f = 1; next } f && /^$/ { exit } f { print $1 }'
}

# The options of command $1 (none: the global ones), from its --help.
_nmbctl_options()
{
	nmbctl ${1:+"$1"} --help 2>/dev/null | awk '
		/^Options:/ { f = 1; next }
		f && /^$/ { exit }
		f { for (i = 1; i <= NF && $i ~ /^-/; i++) {
			sub(/,$/, "", $i); print $i } }'
}

# Reservation names; "$@" is the -s/--socket the user gave, if any.
_nmbctl_reservations()
{
	# json-c prints plain JSON: [{"place":"demo","place_name":...},...]
	nmbctl "$@" list --json 2>/dev/null |
		grep -o '"place":"[^"\\]*"' | cut -d'"' -f4
}

# PART.INTERFACE of reservation $1 (the PLACE, PART, INTERFACE columns of
# nmbctl status); "${@:2}" is the -s/--socket the user gave, if any.
_nmbctl_interfaces()
{
	nmbctl "${@:2}" status 2>/dev/null |
		awk -v p="$1" 'NR > 1 && $1 == p { print $2 "." $3 }'
}

# Place names as @PLACE (nmbctl search --json); "$@" as above.
_nmbctl_places()
{
	nmbctl "$@" search --json 2>/dev/null |
		grep -o '"name":"[^"\\]*"' | cut -d'"' -f4 | sed 's/^/@/'
}

# Import description names: .nmb/ of this folder and its parents, then
# ~/.config/nmb/, as nmbctl looks them up.
_nmbctl_descriptions()
{
	local dir=$PWD f

	while :; do
		for f in "$dir"/.nmb/*.yaml; do
			[[ -f $f ]] && basename "$f" .yaml
		done
		[[ -z $dir || $dir == / ]] && break
		dir=${dir%/*}
	done
	for f in "$HOME"/.config/nmb/*.yaml; do
		[[ -f $f ]] && basename "$f" .yaml
	done
}

_nmbctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd= name= i words
	local -a sock=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-s | --socket)
			sock=(-s "${COMP_WORDS[i + 1]}")
			((i++))
			;;
		--socket=*) sock=("${COMP_WORDS[i]}") ;;
		-b | --baud | -l | --log | -t | --timeout) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${COMP_WORDS[i]}
			elif [[ -z $name ]]; then
				name=${COMP_WORDS[i]}
			fi
			;;
		esac
	done

	case $prev in
	-s | --socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	-t | --timeout | -b | --baud | -p | --priority | -n | --with-name)
		return ;;
	-l | --log)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		words=$(_nmbctl_options "$cmd")
	elif [[ -z $cmd ]]; then
		words=$(_nmbctl_commands)
	else
		case $cmd in
		show)
			if [[ $cur == @* ]]; then
				words=$(_nmbctl_places "${sock[@]}")
			elif [[ $prev == @ ]]; then
				# '@' is in COMP_WORDBREAKS: cur is what follows
				words=$(_nmbctl_places "${sock[@]}")
				words=${words//@/}
			else
				words=$(_nmbctl_reservations "${sock[@]}")
			fi ;;
		return | detach | edit)
			words=$(_nmbctl_reservations "${sock[@]}") ;;
		console)
			if [[ -z $name ]]; then
				words=$(_nmbctl_reservations "${sock[@]}")
			else
				words=$(_nmbctl_interfaces "$name" "${sock[@]}")
			fi
			;;
		attach)
			words="$(_nmbctl_reservations "${sock[@]}")
$(_nmbctl_descriptions)" ;;
		reserve | search)
			words=$(_nmbctl_descriptions)
			COMPREPLY=($(compgen -f -X '!*.yaml' -- "$cur"))
			;;
		*) return ;;
		esac
	fi
	COMPREPLY+=($(compgen -W "$words" -- "$cur"))
}

complete -F _nmbctl nmbctl
