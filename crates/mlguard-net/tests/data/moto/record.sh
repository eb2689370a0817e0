#!/usr/bin/env bash
# Records the "ml-vpc" topology from a local moto server through the aws CLI.
# Every JSON file written to OUT_DIR is the verbatim stdout of one
# `aws ec2 describe-*` call (--output json). See README.md next to this script.
#
# Usage: record.sh [OUT_DIR]   (OUT_DIR defaults to <script dir>/ml-vpc;
#                               the OUT_DIR environment variable also works)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${1:-${OUT_DIR:-$SCRIPT_DIR/ml-vpc}}"
mkdir -p "$OUT_DIR"

export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
export AWS_CONFIG_FILE=/dev/null
export AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_PAGER=""

# --- start moto on a free port -------------------------------------------------
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
ENDPOINT="http://127.0.0.1:$PORT"
MOTO_LOG="$(mktemp -t moto-server.XXXXXX.log)"

"${PYTHON:-python3}" -m moto.server -H 127.0.0.1 -p "$PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!

cleanup() {
    local rc=$?
    if kill -0 "$MOTO_PID" 2>/dev/null; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ]; then
        echo "record.sh failed (rc=$rc); moto log: $MOTO_LOG" >&2
    else
        rm -f "$MOTO_LOG"
    fi
    exit "$rc"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    if python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "$ENDPOINT/moto-api/" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
        echo "moto server exited early; log:" >&2
        cat "$MOTO_LOG" >&2
        exit 1
    fi
    sleep 0.1
done

ec2() { "${PYTHON:-python3}" -m awscli --endpoint-url "$ENDPOINT" ec2 "$@"; }
# tag spec helper: tags RESOURCE_TYPE NAME
tags() { echo "ResourceType=$1,Tags=[{Key=Name,Value=$2}]"; }

echo "moto $("${PYTHON:-python3}" -c 'import moto; print(moto.__version__)') on $ENDPOINT; $("${PYTHON:-python3}" -m awscli --version 2>&1)" >&2

# --- 1. VPC ml + DNS attributes ------------------------------------------------
VPC_ML=$(ec2 create-vpc --cidr-block 10.0.0.0/16 \
    --tag-specifications "$(tags vpc ml)" --query Vpc.VpcId --output text)
ec2 modify-vpc-attribute --vpc-id "$VPC_ML" --enable-dns-support '{"Value":true}'
ec2 modify-vpc-attribute --vpc-id "$VPC_ML" --enable-dns-hostnames '{"Value":true}'

# --- 2. subnets ----------------------------------------------------------------
mk_subnet() { # VPC CIDR AZ NAME
    ec2 create-subnet --vpc-id "$1" --cidr-block "$2" --availability-zone "$3" \
        --tag-specifications "$(tags subnet "$4")" --query Subnet.SubnetId --output text
}
SUBNET_PUBLIC=$(mk_subnet "$VPC_ML" 10.0.0.0/24 us-east-1a public)
SUBNET_TRAINING=$(mk_subnet "$VPC_ML" 10.0.1.0/24 us-east-1a training)
SUBNET_ENDPOINTS=$(mk_subnet "$VPC_ML" 10.0.2.0/24 us-east-1b endpoints)

# --- 3. internet gateway + public route table ------------------------------------
IGW=$(ec2 create-internet-gateway --tag-specifications "$(tags internet-gateway igw)" \
    --query InternetGateway.InternetGatewayId --output text)
ec2 attach-internet-gateway --internet-gateway-id "$IGW" --vpc-id "$VPC_ML"

mk_rt() { # VPC NAME
    ec2 create-route-table --vpc-id "$1" --tag-specifications "$(tags route-table "$2")" \
        --query RouteTable.RouteTableId --output text
}
RT_PUBLIC=$(mk_rt "$VPC_ML" public-rt)
ec2 create-route --route-table-id "$RT_PUBLIC" --destination-cidr-block 0.0.0.0/0 \
    --gateway-id "$IGW" --output json >/dev/null
ec2 associate-route-table --route-table-id "$RT_PUBLIC" --subnet-id "$SUBNET_PUBLIC" --output json >/dev/null

# --- 4. NAT gateway in public with an EIP ----------------------------------------
EIP_NAT=$(ec2 allocate-address --domain vpc \
    --tag-specifications "$(tags elastic-ip nat-eip)" --query AllocationId --output text)
NAT=$(ec2 create-nat-gateway --subnet-id "$SUBNET_PUBLIC" --allocation-id "$EIP_NAT" \
    --tag-specifications "$(tags natgateway nat)" --query NatGateway.NatGatewayId --output text)

# --- 5. training route table -> NAT -----------------------------------------------
RT_TRAINING=$(mk_rt "$VPC_ML" training-rt)
ec2 create-route --route-table-id "$RT_TRAINING" --destination-cidr-block 0.0.0.0/0 \
    --nat-gateway-id "$NAT" --output json >/dev/null
ec2 associate-route-table --route-table-id "$RT_TRAINING" --subnet-id "$SUBNET_TRAINING" --output json >/dev/null

# --- 6. S3 gateway endpoint on training-rt --------------------------------------
VPCE_S3=$(ec2 create-vpc-endpoint --vpc-endpoint-type Gateway --vpc-id "$VPC_ML" \
    --service-name com.amazonaws.us-east-1.s3 --route-table-ids "$RT_TRAINING" \
    --tag-specifications "$(tags vpc-endpoint s3-gateway)" \
    --query VpcEndpoint.VpcEndpointId --output text)

# --- 7. security groups ----------------------------------------------------------
mk_sg() { # VPC NAME DESCRIPTION
    ec2 create-security-group --vpc-id "$1" --group-name "$2" --description "$3" \
        --tag-specifications "$(tags security-group "$2")" --query GroupId --output text
}
SG_TRAINING=$(mk_sg "$VPC_ML" training-sg "training instances")
SG_ENDPOINT=$(mk_sg "$VPC_ML" endpoint-sg "interface endpoints")
SG_WEB=$(mk_sg "$VPC_ML" web-sg "public web")

# training-sg: all traffic from itself (egress stays the default allow-all)
ec2 authorize-security-group-ingress --group-id "$SG_TRAINING" \
    --ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$SG_TRAINING}]" --output json >/dev/null
# endpoint-sg: tcp 443 from training-sg
ec2 authorize-security-group-ingress --group-id "$SG_ENDPOINT" \
    --ip-permissions "IpProtocol=tcp,FromPort=443,ToPort=443,UserIdGroupPairs=[{GroupId=$SG_TRAINING}]" --output json >/dev/null
# web-sg: tcp 22 and tcp 443 from anywhere
ec2 authorize-security-group-ingress --group-id "$SG_WEB" \
    --ip-permissions "IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]" \
                     "IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=0.0.0.0/0}]" --output json >/dev/null

# --- 8. interface endpoints ----------------------------------------------------------
mk_ifep() { # SERVICE NAME PRIVATE_DNS_FLAG
    ec2 create-vpc-endpoint --vpc-endpoint-type Interface --vpc-id "$VPC_ML" \
        --service-name "$1" --subnet-ids "$SUBNET_ENDPOINTS" --security-group-ids "$SG_ENDPOINT" \
        "$3" --tag-specifications "$(tags vpc-endpoint "$2")" \
        --query VpcEndpoint.VpcEndpointId --output text
}
VPCE_SAGEMAKER=$(mk_ifep com.amazonaws.us-east-1.sagemaker.api sagemaker-api --private-dns-enabled)
VPCE_ECR=$(mk_ifep com.amazonaws.us-east-1.ecr.api ecr-api --private-dns-enabled)
VPCE_LOGS=$(mk_ifep com.amazonaws.us-east-1.logs logs --no-private-dns-enabled)

# --- 9. custom network ACL on training ----------------------------------------------
ACL_TRAINING=$(ec2 create-network-acl --vpc-id "$VPC_ML" \
    --tag-specifications "$(tags network-acl training-acl)" \
    --query NetworkAcl.NetworkAclId --output text)
acl_entry() { # RULE ACTION DIRECTION(--ingress|--egress) PROTOCOL CIDR [PORT_RANGE]
    local args=(--network-acl-id "$ACL_TRAINING" --rule-number "$1" --rule-action "$2" "$3"
                --protocol "$4" --cidr-block "$5")
    if [ $# -ge 6 ]; then args+=(--port-range "$6"); fi
    ec2 create-network-acl-entry "${args[@]}"
}
# Protocol numbers as AWS reports them ("6" = tcp, "-1" = all).
acl_entry 90  deny  --ingress 6  198.51.100.7/32 From=443,To=443
acl_entry 100 allow --ingress -1 0.0.0.0/0
acl_entry 100 allow --egress  6  0.0.0.0/0 From=443,To=443
acl_entry 110 allow --egress  6  0.0.0.0/0 From=32768,To=65535

DEFAULT_ASSOC=$(ec2 describe-network-acls \
    --filters "Name=association.subnet-id,Values=$SUBNET_TRAINING" \
    --query "NetworkAcls[].Associations[?SubnetId=='$SUBNET_TRAINING'].NetworkAclAssociationId | [] | [0]" \
    --output text)
if [ -z "$DEFAULT_ASSOC" ] || [ "$DEFAULT_ASSOC" = "None" ]; then
    echo "no default NACL association found for $SUBNET_TRAINING" >&2
    exit 1
fi
ec2 replace-network-acl-association --association-id "$DEFAULT_ASSOC" \
    --network-acl-id "$ACL_TRAINING" --output json >/dev/null

# --- 10. network interfaces ---------------------------------------------------------
ENI_WEB=$(ec2 create-network-interface --subnet-id "$SUBNET_PUBLIC" --groups "$SG_WEB" \
    --description web-eni --tag-specifications "$(tags network-interface web-eni)" \
    --query NetworkInterface.NetworkInterfaceId --output text)
EIP_WEB=$(ec2 allocate-address --domain vpc \
    --tag-specifications "$(tags elastic-ip web-eip)" --query AllocationId --output text)
ec2 associate-address --allocation-id "$EIP_WEB" --network-interface-id "$ENI_WEB" --output json >/dev/null

ENI_TRAINER=$(ec2 create-network-interface --subnet-id "$SUBNET_TRAINING" --groups "$SG_TRAINING" \
    --description trainer-eni --tag-specifications "$(tags network-interface trainer-eni)" \
    --query NetworkInterface.NetworkInterfaceId --output text)

# --- 11. peer VPC + peering ---------------------------------------------------------
VPC_PEER=$(ec2 create-vpc --cidr-block 10.1.0.0/16 \
    --tag-specifications "$(tags vpc peer)" --query Vpc.VpcId --output text)
SUBNET_PEER_A=$(mk_subnet "$VPC_PEER" 10.1.0.0/24 us-east-1a peer-a)
PCX=$(ec2 create-vpc-peering-connection --vpc-id "$VPC_ML" --peer-vpc-id "$VPC_PEER" \
    --tag-specifications "$(tags vpc-peering-connection ml-peer)" \
    --query VpcPeeringConnection.VpcPeeringConnectionId --output text)
ec2 accept-vpc-peering-connection --vpc-peering-connection-id "$PCX" --output json >/dev/null
ec2 create-route --route-table-id "$RT_TRAINING" --destination-cidr-block 10.1.0.0/16 \
    --vpc-peering-connection-id "$PCX" --output json >/dev/null
RT_PEER=$(mk_rt "$VPC_PEER" peer-rt)
ec2 create-route --route-table-id "$RT_PEER" --destination-cidr-block 10.0.0.0/16 \
    --vpc-peering-connection-id "$PCX" --output json >/dev/null
ec2 associate-route-table --route-table-id "$RT_PEER" --subnet-id "$SUBNET_PEER_A" --output json >/dev/null

# --- 12. dump ------------------------------------------------------------------------
# moto pre-creates a default VPC (172.31.0.0/16) with default subnets, SG, NACL and
# main route table. VPC-scoped calls are filtered to ml + peer so the fixture only
# holds this topology; describe-prefix-lists is region-wide and left unfiltered.
VPCS="$VPC_ML,$VPC_PEER"
FAILED=()
dump() { # NAME aws-ec2-args...
    local name=$1; shift
    local tmp="$OUT_DIR/.$name.json.tmp"
    if ec2 "$@" --output json >"$tmp"; then
        mv "$tmp" "$OUT_DIR/$name.json"
        echo "wrote $OUT_DIR/$name.json" >&2
    else
        rm -f "$tmp"
        echo "UNSUPPORTED/FAILED: aws ec2 $* (no file written for $name)" >&2
        FAILED+=("$name")
    fi
}
dump vpc-attr-dns-support   describe-vpc-attribute --vpc-id "$VPC_ML" --attribute enableDnsSupport
dump vpc-attr-dns-hostnames describe-vpc-attribute --vpc-id "$VPC_ML" --attribute enableDnsHostnames
dump vpcs                    describe-vpcs                    --filters "Name=vpc-id,Values=$VPCS"
dump subnets                 describe-subnets                 --filters "Name=vpc-id,Values=$VPCS"
dump route-tables            describe-route-tables            --filters "Name=vpc-id,Values=$VPCS"
dump network-acls            describe-network-acls            --filters "Name=vpc-id,Values=$VPCS"
dump security-groups         describe-security-groups         --filters "Name=vpc-id,Values=$VPCS"
dump vpc-endpoints           describe-vpc-endpoints           --filters "Name=vpc-id,Values=$VPCS"
dump prefix-lists            describe-prefix-lists
dump nat-gateways            describe-nat-gateways            --filter "Name=vpc-id,Values=$VPCS"
dump internet-gateways       describe-internet-gateways       --filters "Name=attachment.vpc-id,Values=$VPCS"
dump vpc-peering-connections describe-vpc-peering-connections --vpc-peering-connection-ids "$PCX"
dump network-interfaces      describe-network-interfaces      --filters "Name=vpc-id,Values=$VPCS"

if [ ${#FAILED[@]} -ne 0 ]; then
    echo "some describe calls failed: ${FAILED[*]}" >&2
    exit 1
fi
