package inventory

// Flow collections on one line: [a, "b", {c: 1}]. A collection that goes on
// past its line, trailing or empty entries, and plain scalars holding ':',
// '?', '#' or brackets are left to yaml.v3.

// skipFlowSpaces moves the cursor past spaces, and reports whether the line
// goes on.
func (p *fastParser) skipFlowSpaces() bool {
	b := p.b
	for p.i < len(b) && b[p.i] == ' ' {
		p.i++
	}
	return p.i < len(b) && !isBreak(b[p.i])
}

// flowSeq reads the flow sequence whose '[' is at the cursor.
func (p *fastParser) flowSeq(h uint64, depth int) ([]any, error) {
	p.i++
	s := []any{}
	if !p.skipFlowSpaces() {
		return nil, errFallback
	}
	if p.b[p.i] == ']' {
		p.i++
		return s, nil
	}
	for idx := 0; ; idx++ {
		ih := indexHash(h, idx)
		p.pos.set(ih, p.off+p.line, p.col(p.i))
		if err := p.enter(depth + 1); err != nil {
			return nil, err
		}
		v, err := p.flowNode(ih, depth+1)
		if err != nil {
			return nil, err
		}
		s = append(s, v)
		if !p.skipFlowSpaces() {
			return nil, errFallback
		}
		switch p.b[p.i] {
		case ']':
			p.i++
			return s, nil
		case ',':
			p.i++
			if !p.skipFlowSpaces() || p.b[p.i] == ']' || p.b[p.i] == ',' {
				return nil, errFallback
			}
		default:
			return nil, errFallback
		}
	}
}

// flowMap reads the flow mapping whose '{' is at the cursor.
func (p *fastParser) flowMap(h uint64, root bool, depth int) (map[string]any, error) {
	b := p.b
	p.i++
	m := map[string]any{}
	if !p.skipFlowSpaces() {
		return nil, errFallback
	}
	if b[p.i] == '}' {
		p.i++
		return m, nil
	}
	for {
		start := p.i
		line, col := p.line, p.col(start)
		var key string
		if c := b[start]; c == '"' || c == '\'' {
			s, k, err := p.quoted(start)
			if err != nil {
				return nil, err
			}
			key = s
			p.i = k
			if !p.skipFlowSpaces() || b[p.i] != ':' {
				return nil, errFallback
			}
		} else {
			if !p.plainStart(start) {
				return nil, errFallback
			}
			k := start
		scan:
			for ; k < len(b); k++ {
				switch b[k] {
				case ':':
					if k+1 < len(b) && b[k+1] == ' ' {
						break scan
					}
					return nil, errFallback
				case ',', '[', ']', '{', '}', '#', '?', '\n', '\r':
					return nil, errFallback
				}
			}
			if k == len(b) {
				return nil, errFallback
			}
			key = p.d.str(trimSpaces(b[start:k]))
			if key == "<<" {
				return nil, errFallback
			}
			p.i = k
		}
		if p.i-start > 1000 {
			return nil, errFallback // yaml.v3 forgets a simple key after 1024 characters
		}
		p.i++ // ':'
		if !p.skipFlowSpaces() || b[p.i] == ',' || b[p.i] == '}' {
			return nil, errFallback // an empty value
		}
		kh := fastKeyHash(h, root, key)
		p.pos.set(kh, p.off+line, col)
		if err := p.enter(depth + 1); err != nil {
			return nil, err
		}
		v, err := p.flowNode(kh, depth+1)
		if err != nil {
			return nil, err
		}
		m[key] = v
		if !p.skipFlowSpaces() {
			return nil, errFallback
		}
		switch b[p.i] {
		case '}':
			p.i++
			return m, nil
		case ',':
			p.i++
			if !p.skipFlowSpaces() || b[p.i] == '}' || b[p.i] == ',' {
				return nil, errFallback
			}
		default:
			return nil, errFallback
		}
	}
}

// flowNode reads one value inside a flow collection.
func (p *fastParser) flowNode(h uint64, depth int) (any, error) {
	b := p.b
	switch b[p.i] {
	case '[':
		return p.flowSeq(h, depth)
	case '{':
		return p.flowMap(h, false, depth)
	case '"', '\'':
		s, k, err := p.quoted(p.i)
		if err != nil {
			return nil, err
		}
		p.i = k
		return p.d.quotedValue(s), nil
	}
	if !p.plainStart(p.i) {
		return nil, errFallback
	}
	k := p.i
scan:
	for ; k < len(b); k++ {
		switch b[k] {
		case ',', ']', '}':
			break scan
		case ':', '?', '#', '[', '{', '\n', '\r':
			return nil, errFallback
		}
	}
	if k == len(b) {
		return nil, errFallback
	}
	text := trimSpaces(b[p.i:k])
	p.i = k
	return p.d.plainValue(text), nil
}
